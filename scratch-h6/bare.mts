import Fastify from 'fastify';
import { request } from 'undici';
const app = Fastify();
app.post('/', async (req, reply) => reply.status(202).send({ ok: 1 }));
await app.listen({ port: 0, host: '127.0.0.1' });
const url = `http://127.0.0.1:${(app.server.address() as any).port}`;
const t0 = Date.now();
for (let i = 0; i < 300; i++) { const r = await request(url + '/', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ n: i }) }); await r.body.text(); }
console.log('bare posted 300 in', Date.now() - t0);
await app.close();
