# Hooker image: `docker build -t hooker .`
#
# Build arguments (defaults need the public node images):
#   BUILD_IMAGE  Node 24 with npm, python3, make, g++ and apt (node:24-bookworm)
#   BASE_IMAGE   runtime: Node 24 as `node` on PATH and /bin/sh (node:24-bookworm-slim)
#   APP_FROM     where the built application comes from: the `build` stage
#                below, or an image already holding the same tree (/src with
#                package.json, dist/, build/, production node_modules built
#                for BASE_IMAGE's Node, and /usr/bin/tini-static). With
#                BuildKit an unused `build` stage is skipped; this is how the
#                tests build the image without pulling (test/deploy/image.test.ts).
#
# The runtime image runs as uid 1000 with a read-only root filesystem in
# mind: everything it writes (SQLite database, self-signed TLS pair, the
# default config's forensics log) goes to the /server/database volume.
ARG BUILD_IMAGE=node:24-bookworm
ARG BASE_IMAGE=node:24-bookworm-slim
ARG APP_FROM=build

FROM ${BUILD_IMAGE} AS build
# tini: PID 1 that forwards SIGTERM to node and reaps orphaned action processes.
RUN apt-get update && apt-get install -y --no-install-recommends tini && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json ./
COPY scripts ./scripts
COPY src ./src
COPY tsconfig.json tsconfig.build.json ./
# npm ci builds the AssemblyScript runtime and dist/. On Node 24 the server
# loads better-sqlite3 13 (`better-sqlite3-napi`, a prebuilt Node-API addon);
# 12, compiled here too, is what Node 20 loads (src/store/sqlite/driver.ts).
RUN npm ci && npm prune --omit=dev

FROM ${APP_FROM} AS app

FROM ${BASE_IMAGE}
# HOOKER_DB and HOOKER_CERT_PEM/KEY_PEM are left unset so that Postee's
# PATH_TO_DB and AQUAALERT_CERT_PEM/KEY_PEM still apply; by default the
# database is /server/database/hooker.db (the server's default when that
# directory exists) and the TLS pair data/tls/*.pem, i.e. /server/database/tls.
ENV NODE_ENV=production \
    HOOKER_CFG=/config/cfg.yaml \
    HOOKER_HTTP=0.0.0.0:8082 \
    HOOKER_HTTPS=0.0.0.0:8445 \
    REGO_TEMPLATES_PATH=/server/rego-templates \
    REGO_FILTERS_PATH=/server/rego-filters
WORKDIR /app
COPY --from=app /usr/bin/tini-static /usr/bin/tini
COPY --from=app /src/package.json ./package.json
COPY --from=app /src/node_modules ./node_modules
COPY --from=app /src/dist ./dist
COPY --from=app /src/build ./build
COPY bin ./bin
COPY rego ./rego
COPY actions ./actions
COPY config/cfg.yaml /config/cfg.yaml
# Postee's layout: templates in /server/rego-templates (empty: the bundled
# ones are built in; mount yours there), filters in /server/rego-filters (the
# bundled ones; mount yours over it), database under /server/database.
# /app/data (relative `data/...` paths in cfg.yaml) points into the volume.
COPY rego/filters /server/rego-filters
RUN mkdir -p /server/database /server/rego-templates \
 && ln -s /server/database /app/data \
 && chown 1000:1000 /server/database
VOLUME /server/database
USER 1000:1000
EXPOSE 8082 8445
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
  CMD ["node", "-e", "const p=(process.env.HOOKER_HTTP||'0.0.0.0:8082').split(':').pop();fetch('http://127.0.0.1:'+p+'/ping').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/bin/hooker.js"]
CMD ["serve"]
