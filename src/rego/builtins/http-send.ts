// http.send. Builtins run synchronously inside a wasm call, so the request
// is made by a short-lived child Node process (spawnSync) that performs it
// with fetch and prints the response as JSON. Policies that call http.send
// pay for that; route rules should not need it.

import { spawnSync } from 'node:child_process';
import { implementAll } from './define.js';
import { BuiltinError, type RegoValue } from './types.js';

const ALLOWED_KEYS = new Set([
  'url', 'method', 'body', 'raw_body', 'headers', 'enable_redirect', 'force_json_decode', 'force_yaml_decode',
  'tls_use_system_certs', 'tls_ca_cert', 'tls_ca_cert_file', 'tls_ca_cert_env_variable', 'tls_client_cert',
  'tls_client_cert_file', 'tls_client_cert_env_variable', 'tls_client_key', 'tls_client_key_file',
  'tls_client_key_env_variable', 'tls_insecure_skip_verify', 'tls_server_name', 'timeout', 'cache', 'force_cache',
  'force_cache_duration_seconds', 'caching_mode', 'raise_error', 'max_retry_attempts',
]);
const REQUIRED_KEYS = ['method', 'url'];

/** A set of strings as OPA prints it in these messages: {"a", "b"}. */
function setText(keys: string[]): string {
  return `{${keys.map((k) => JSON.stringify(k)).join(', ')}}`;
}

function parseTimeoutMs(v: RegoValue | undefined): number {
  if (v === undefined) return 5000;
  if (typeof v === 'number') return v / 1e6;
  if (typeof v === 'string') {
    const m = /^(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)$/.exec(v.trim());
    if (!m) throw new BuiltinError(`invalid timeout ${JSON.stringify(v)}`);
    const n = Number(m[1]);
    const unit: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1e3, m: 6e4, h: 3.6e6 };
    return n * unit[m[2]!]!;
  }
  throw new BuiltinError('timeout must be a number of nanoseconds or a duration string');
}

// Runs in the child: reads the request from stdin, answers on stdout.
const CHILD = `
let input = '';
process.stdin.on('data', (d) => { input += d; });
process.stdin.on('end', async () => {
  const req = JSON.parse(input);
  try {
    const res = await fetch(req.url, { method: req.method, headers: req.headers, body: req.body, redirect: req.redirect,
      signal: AbortSignal.timeout(req.timeoutMs) });
    const raw = await res.text();
    const headers = {};
    res.headers.forEach((v, k) => { (headers[k] ??= []).push(v); });
    process.stdout.write(JSON.stringify({ ok: true, status: res.status, statusText: res.statusText, raw, headers }));
  } catch (e) {
    process.stdout.write(JSON.stringify({ ok: false, message: String(e && e.cause ? e.cause.message || e.cause : e && e.message || e) }));
  }
});`;

interface ChildAnswer { ok: boolean; status?: number; statusText?: string; raw?: string; headers?: Record<string, string[]>; message?: string }

function httpSend(args: RegoValue[]): RegoValue {
  const req = args[0];
  if (req === null || typeof req !== 'object' || Array.isArray(req)) throw new BuiltinError('operand 1 must be object', 'eval_type_error');
  const obj = req as Record<string, RegoValue>;
  const invalid = Object.keys(obj).filter((k) => !ALLOWED_KEYS.has(k)).sort();
  if (invalid.length) throw new BuiltinError(`invalid request parameters(s): ${setText(invalid)}`, 'eval_type_error');
  const missing = REQUIRED_KEYS.filter((k) => !(k in obj));
  if (missing.length) throw new BuiltinError(`missing required request parameters(s): ${setText(missing)}`, 'eval_type_error');
  const url = obj['url'];
  const method = obj['method'];
  if (typeof url !== 'string' || typeof method !== 'string') throw new BuiltinError('url and method must be strings', 'eval_type_error');
  const headers: Record<string, string> = {};
  if (obj['headers'] && typeof obj['headers'] === 'object' && !Array.isArray(obj['headers'])) {
    for (const [k, v] of Object.entries(obj['headers'] as Record<string, RegoValue>)) headers[k] = typeof v === 'string' ? v : JSON.stringify(v);
  }
  let body: string | undefined;
  if (typeof obj['raw_body'] === 'string') body = obj['raw_body'];
  else if (obj['body'] !== undefined && obj['body'] !== null) {
    body = JSON.stringify(obj['body']);
    headers['Content-Type'] ??= 'application/json';
  }
  const timeoutMs = parseTimeoutMs(obj['timeout']);
  const child = spawnSync(process.execPath, ['-e', CHILD], {
    input: JSON.stringify({ url, method: method.toUpperCase(), headers, body, timeoutMs, redirect: obj['enable_redirect'] === true ? 'follow' : 'manual' }),
    timeout: timeoutMs + 5000,
    encoding: 'utf8',
  });
  let answer: ChildAnswer;
  try {
    answer = JSON.parse(child.stdout) as ChildAnswer;
  } catch {
    answer = { ok: false, message: child.error ? child.error.message : 'request failed' };
  }
  if (!answer.ok) {
    if (obj['raise_error'] === false) return { status_code: 0, error: { code: 'eval_http_send_network_error', message: answer.message ?? 'request failed' } };
    throw new BuiltinError(`${method.toUpperCase()} ${url}: ${answer.message ?? 'request failed'}`);
  }
  const raw = answer.raw ?? '';
  let parsed: RegoValue = null;
  const contentType = answer.headers?.['content-type']?.[0] ?? '';
  if (obj['force_json_decode'] === true || contentType.includes('json')) {
    try { parsed = JSON.parse(raw) as RegoValue; } catch { parsed = null; }
  }
  return {
    status: `${answer.status} ${answer.statusText ?? ''}`.trim(),
    status_code: answer.status ?? 0,
    body: parsed,
    raw_body: raw,
    headers: (answer.headers ?? {}) as unknown as RegoValue,
  };
}

implementAll({ 'http.send': httpSend });
