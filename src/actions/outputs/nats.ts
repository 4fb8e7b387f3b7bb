// `nats`: publishes the message to a NATS subject; with `jetstream: true`
// it is published to JetStream with the delivery id as message id, so a
// retried delivery is stored once (the stream's duplicate window drops the
// repeat) and the server's acknowledgement decides success.

import type { NatsConnection } from 'nats';
import { natsClient } from '../../lazy-libraries.js';
import type { DeliveryContext, DeliveryResult } from '../types.js';
import { defineAction } from '../define.js';
import { describeError } from './http-output.js';

const SUBJECT = /^[^\s*>]+$/;

export const natsAction = defineAction({
  type: 'nats',
  keys: ['url', 'subject', 'jetstream', 'user', 'password', 'token', 'timeout'],
  secrets: ['password', 'token'],
  parse(r) {
    const servers = r.stringList('url');
    if (servers.length === 0) r.problem('url', '"url" is required (nats://host:4222, or a list)');
    for (const [i, s] of servers.entries()) if (!/^(nats|tls|wss?):\/\//.test(s)) r.problem(servers.length > 1 ? `url[${i}]` : 'url', `"${s}" is not a nats:// or tls:// URL`);
    const subject = r.string('subject', true);
    if (subject && !SUBJECT.test(subject)) r.problem('subject', `"${subject}" is not a subject to publish to (no spaces or wildcards)`);
    const user = r.string('user');
    const password = r.secret('password');
    const token = r.secret('token');
    if (!subject || servers.length === 0) return undefined;
    return { servers, subject, jetstream: r.bool('jetstream', false), user, password, token, timeoutMs: r.timeout('timeout', 10_000) };
  },
  build(s, { name }) {
    let conn: Promise<NatsConnection> | undefined;
    const connection = () => {
      conn ??= natsClient().connect({
        servers: s.servers, timeout: s.timeoutMs, name: `hooker ${name}`, maxReconnectAttempts: -1,
        ...(s.user ? { user: s.user, pass: s.password ?? '' } : {}), ...(s.token ? { token: s.token } : {}),
      }).catch((e: unknown) => { conn = undefined; throw e; });
      return conn;
    };
    return {
      name,
      type: 'nats',
      async deliver(ctx: DeliveryContext): Promise<DeliveryResult> {
        const data = new TextEncoder().encode(ctx.message.body);
        const h = natsClient().headers();
        h.set('Hooker-Delivery-Id', ctx.deliveryId);
        if (ctx.message.title) h.set('Hooker-Title', ctx.message.title.replace(/[\r\n]/g, ' '));
        try {
          const nc = await connection();
          if (s.jetstream) {
            const ack = await nc.jetstream().publish(s.subject, data, { msgID: ctx.deliveryId, headers: h, timeout: s.timeoutMs });
            return { ok: true, detail: `JetStream stream ${ack.stream} stored it as #${ack.seq}${ack.duplicate ? ' (duplicate: already stored)' : ''}` };
          }
          nc.publish(s.subject, data, { headers: h });
          await nc.flush();
          return { ok: true, detail: `published to ${s.subject}` };
        } catch (e) {
          return { ok: false, retryable: true, detail: `NATS ${s.subject}: ${describeError(e, s.timeoutMs)}` };
        }
      },
      async close() {
        const c = conn;
        conn = undefined;
        if (c) await c.then((nc) => nc.drain()).catch(() => undefined);
      },
    };
  },
});
