// `hooker deliveries <list|show|retry|purge>`: the deliveries admin API from
// the command line. Talks to a running server (HOOKER_URL or --url, token
// from HOOKER_ADMIN_TOKEN or --token) so the server's scheduler sees every
// change at once.

import { request } from 'undici';
import { parseArgs, UsageError } from './args.js';
import { envValue } from '../config/env.js';

const USAGE = `usage: hooker deliveries <command> [options]

commands:
  list [--state S] [--route R] [--action A] [--event ID] [--limit N]
                          deliveries, newest first (S: waiting, pending, running, succeeded, dead)
  show <delivery-id>      one delivery with its message and every attempt's output
  retry <delivery-id>     replay one dead delivery
  retry --all-dead [--route R] [--action A]
                          replay every dead delivery (of a route/action)
  purge [--older-than 7d] [--state succeeded|dead] [--route R]
                          delete finished events and their deliveries

options:
  --url URL       the server (default HOOKER_URL, else http://127.0.0.1:8082)
  --token TOKEN   admin token (default HOOKER_ADMIN_TOKEN)
  --json          print the API's JSON answer
`;

interface Summary { id: string; route: string; action: string; state: string; attempts: number; createdAt: number; lastError?: string }

export type Out = (text: string) => void;

function table(rows: Summary[]): string {
  const lines = rows.map((d) => [d.id, d.state, String(d.attempts), d.route, d.action, new Date(d.createdAt).toISOString(), d.lastError ?? '']);
  const head = ['ID', 'STATE', 'ATTEMPTS', 'ROUTE', 'ACTION', 'CREATED', 'LAST ERROR'];
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cols: string[]) => cols.map((c, i) => (i === cols.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [fmt(head), ...lines.map(fmt)].join('\n');
}

export async function runDeliveries(argv: string[], out: Out = (t) => process.stdout.write(t), env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const args = parseArgs(argv, {
    values: { '--url': 'url', '--token': 'token', '--state': 'state', '--route': 'route', '--action': 'action', '--event': 'event', '--limit': 'limit', '--older-than': 'older-than' },
    booleans: { '--json': 'json', '--all-dead': 'all-dead', '-h': 'help', '--help': 'help' },
  });
  const [command, id] = args.positionals;
  if (!command || args.booleans.has('help')) { out(USAGE); return command || args.booleans.has('help') ? 0 : 2; }
  const flag = (k: string) => args.values.get(k)?.at(-1);
  const base = (flag('url') ?? envValue(env, 'URL') ?? 'http://127.0.0.1:8082').replace(/\/+$/, '');
  const token = flag('token') ?? envValue(env, 'ADMIN_TOKEN');
  if (!token) throw new UsageError('an admin token is needed: set HOOKER_ADMIN_TOKEN or pass --token');
  const query = (keys: string[]) => {
    const q = new URLSearchParams();
    for (const k of keys) { const v = flag(k); if (v !== undefined) q.set(k === 'event' ? 'event' : k, v); }
    const text = q.toString();
    return text ? `?${text}` : '';
  };
  let method: 'GET' | 'POST' = 'GET';
  let path: string;
  switch (command) {
    case 'list': path = `/deliveries${query(['state', 'route', 'action', 'event', 'limit'])}`; break;
    case 'show':
      if (!id) throw new UsageError('show needs a delivery id');
      path = `/deliveries/${encodeURIComponent(id)}`; break;
    case 'retry':
      method = 'POST';
      if (args.booleans.has('all-dead')) path = `/deliveries/retry-dead${query(['route', 'action'])}`;
      else if (id) path = `/deliveries/${encodeURIComponent(id)}/retry`;
      else throw new UsageError('retry needs a delivery id or --all-dead');
      break;
    case 'purge': method = 'POST'; path = `/deliveries/purge${query(['older-than', 'state', 'route'])}`; break;
    default: throw new UsageError(`unknown deliveries command ${command}\n${USAGE}`);
  }
  let res;
  try {
    res = await request(`${base}${path}`, { method, headers: { authorization: `Bearer ${token}` } });
  } catch (e) {
    process.stderr.write(`hooker deliveries: cannot reach ${base}: ${(e as Error).message}\n`);
    return 1;
  }
  const body = (await res.body.json().catch(() => ({}))) as Record<string, unknown>;
  if (res.statusCode >= 400) {
    process.stderr.write(`hooker deliveries: ${res.statusCode} ${String(body['message'] ?? '')}\n`);
    return 1;
  }
  if (args.booleans.has('json')) { out(JSON.stringify(body, null, 2) + '\n'); return 0; }
  switch (command) {
    case 'list': {
      const counts = body['counts'] as Record<string, number>;
      out(`${table(body['deliveries'] as Summary[])}\n\ninbox: ${String(body['inbox'])} events; ${Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(', ')}\n`);
      break;
    }
    case 'show': {
      const d = body as unknown as Summary & { eventId: string; message: { title: string; body: string }; attemptLog: Array<{ startedAt: number; ok: boolean; detail?: string; log: string[] }> };
      out(`delivery ${d.id}\n  event ${d.eventId}, route ${d.route}, action ${d.action}\n  state ${d.state}, ${d.attempts} attempt(s)\n  title: ${d.message.title}\n`);
      d.attemptLog.forEach((a, i) => {
        out(`  attempt ${i + 1} at ${new Date(a.startedAt).toISOString()}: ${a.ok ? 'ok' : 'failed'}${a.detail ? ` - ${a.detail}` : ''}\n`);
        for (const line of a.log) out(`    ${line}\n`);
      });
      break;
    }
    case 'retry': out(`${String(body['retried'])} delivery(ies) queued again\n`); break;
    case 'purge': out(`${String(body['purgedEvents'])} finished event(s) purged\n`); break;
  }
  return 0;
}
