// The web console as one surface: the single-page app under /ui and its JSON
// API under /api/ui. Off (404) unless HOOKER_ADMIN_TOKEN is set. Signing in
// with that token opens a session (session.ts); every API route but sign-in
// needs it, and every state-changing one its CSRF token too. The API's
// routes and schemas are in console-api.ts. While the console is on, stored
// events are added to its text index in the background.

import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from '../../server/http-errors.js';
import type { AppSettings, Surface } from '../../server/surface-context.js';
import { loadAssets, SECURITY_HEADERS, type Asset } from './assets.js';
import type { ConsoleReads } from '../../store/console-queries.js';
import { consoleApi } from './console-api.js';
import { clearSessionCookie, constantTimeEqual, refuseCrossSite, requireSession, SessionStore, setSessionCookie } from './session.js';

/** One session store per server settings: the HTTP and HTTPS listeners share sign-ins. */
const stores = new WeakMap<AppSettings, SessionStore>();

/** One text indexer per database, shared by the listeners that serve the console for it. */
const indexers = new WeakMap<ConsoleReads, { users: number; stop(): void }>();

function startTextIndexer(queries: ConsoleReads, log: (message: string) => void): () => void {
  let ix = indexers.get(queries);
  if (!ix) indexers.set(queries, ix = { users: 0, stop: queries.startTextIndexer(log) });
  ix.users++;
  return () => {
    if (--ix!.users === 0) { ix!.stop(); indexers.delete(queries); }
  };
}

let cachedAssets: Map<string, Asset> | undefined;
function assets(): Map<string, Asset> {
  // Read once per process; an unbuilt app is looked for again on the next request.
  if (!cachedAssets?.size) cachedAssets = loadAssets();
  return cachedAssets;
}

const signInBody = { type: 'object', required: ['token'], additionalProperties: false, properties: { token: { type: 'string', minLength: 1, maxLength: 4096 } } } as const;

export const consoleSurface: Surface = async (app, ctx) => {
  const adminToken = ctx.settings.adminToken;
  if (!adminToken) return;
  let sessions = stores.get(ctx.settings);
  if (!sessions) stores.set(ctx.settings, sessions = new SessionStore());
  if (ctx.consoleQueries) {
    const stop = startTextIndexer(ctx.consoleQueries, (message) => app.log.warn(`console text index: ${message}`));
    app.addHook('onClose', async () => stop());
  }

  app.addHook('onSend', async (_req, reply, payload) => {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) void reply.header(k, v);
    return payload;
  });

  const sendAsset = (reply: FastifyReply, path: string) => {
    const files = assets();
    const file = files.get(path) ?? (path.startsWith('assets/') ? undefined : files.get('index.html'));
    if (!files.size) throw new HttpError(503, 'the console is not built: run `npm run build` (or `npm run build:ui`)', 'unavailable');
    if (!file) throw new HttpError(404, `no console file /ui/${path}`, 'not_found');
    return reply.type(file.type).header('cache-control', file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache').send(file.body);
  };
  app.get('/ui', async (_req, reply) => reply.redirect('/ui/', 302));
  app.get<{ Params: { '*': string } }>('/ui/*', async (req, reply) => sendAsset(reply, req.params['*']));

  app.post<{ Body: { token: string } }>('/api/ui/session', { schema: { body: signInBody } }, async (req, reply) => {
    refuseCrossSite(req);
    if (!constantTimeEqual(req.body.token, adminToken)) throw new HttpError(401, 'wrong admin token', 'unauthorized');
    const s = sessions.create();
    setSessionCookie(reply, req, s.id);
    return { csrf: s.csrf };
  });

  // Everything else needs the session (and its CSRF token to change anything).
  await app.register(async (api) => {
    api.addHook('onRequest', requireSession(sessions));
    api.get('/api/ui/session', async (req: FastifyRequest) => ({ csrf: sessions.find(req)!.csrf }));
    api.delete('/api/ui/session', async (req, reply) => {
      sessions.end(sessions.find(req)!.id);
      clearSessionCookie(reply, req);
      return { signedOut: true };
    });
    await api.register(consoleApi, ctx);
  });
};
