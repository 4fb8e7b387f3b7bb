# Hooker: multi-stage build; the runtime image runs as a non-root user.
FROM node:24-bookworm-slim AS build
WORKDIR /src
# better-sqlite3 and other native modules build from source here.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
COPY scripts ./scripts
COPY src ./src
COPY tsconfig.json tsconfig.build.json ./
RUN npm ci && npm prune --omit=dev

FROM node:24-bookworm-slim
ENV NODE_ENV=production \
    HOOKER_CFG=/config/cfg.yaml \
    HOOKER_HTTP=0.0.0.0:8082 \
    HOOKER_HTTPS=0.0.0.0:8445 \
    REGO_FILTERS_PATH=/app/rego/filters \
    HOOKER_DB=/server/database/hooker.db
WORKDIR /app
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY --from=build /src/build ./build
COPY package.json ./
COPY bin ./bin
COPY rego ./rego
COPY actions ./actions
COPY config/cfg.yaml /config/cfg.yaml
# data/ holds the self-signed TLS pair and the forensics log of the default
# config; /server/database the SQLite inbox (mount a volume there to keep
# undelivered events across container replacements).
RUN mkdir -p /app/data /server/database && chown -R node:node /app/data /server/database
VOLUME /server/database
USER node
EXPOSE 8082 8445
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
  CMD node -e "const p=(process.env.HOOKER_HTTP||'0.0.0.0:8082').split(':').pop();fetch('http://127.0.0.1:'+p+'/ping').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "bin/hooker.js"]
CMD ["serve"]
