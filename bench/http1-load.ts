// The load side of bench:server's sustained, relay and latency phases and of
// bench:delivery, on raw keep-alive sockets: a receiver that counts the
// deliveries and a generator that offers events at an exact rate.
//
// Why not node:http and undici (issue 12, session 7): on the 2-core bench
// machine the load shares the cores with the server under test. At 9,000
// deliveries/s a node:http receiver (~40–60 µs per request) and an undici
// generator (~85 µs per request) took most of a core between them, so the bare
// relay and Hooker were both measured on what was left. These parse only the
// HTTP/1.1 framing they need and answer with fixed bytes.
//
// Framing (RFC 9112): messages separated by Content-Length or chunked
// transfer coding (sizes, extensions and trailers read), any number per read
// and split anywhere; a request without either has no body; a response
// without either is refused (every server measured here frames its answers).
// Lines end with CRLF, as every client and server in these benches write them.

import net from 'node:net';

const CRLFCRLF = Buffer.from('\r\n\r\n');
const CRLF = Buffer.from('\r\n');
const CONTENT_LENGTH = /\r\ncontent-length:[ \t]*(\d{1,15})[ \t]*(?=\r\n|$)/i;
const CHUNKED = /\r\ntransfer-encoding:[^\r]*\bchunked[ \t]*(?=\r\n|$)/i;
const MAX_HEAD_BYTES = 64 * 1024;

const HEAD = 0, BODY = 1, CHUNK_SIZE = 2, CHUNK_DATA = 3, CHUNK_END = 4, TRAILERS = 5;

export class FramingError extends Error {}

/**
 * Reads HTTP/1.1 messages off a byte stream fed in arbitrary pieces; calls
 * `onMessage` with each message's start line and (when `keepBody`) its body.
 * For responses, `bodyless(status)` says which carry no body (1xx, 204, 304).
 */
export class MessageReader {
  private state = HEAD;
  private pending: Buffer | undefined;
  private startLine = '';
  private remaining = 0;
  private parts: Buffer[] = [];

  constructor(
    private readonly onMessage: (startLine: string, body: Buffer | undefined) => void,
    private readonly opts: { keepBody: boolean; responses: boolean },
  ) {}

  /** Throws FramingError on bytes that are not HTTP/1.1 framing; the stream is unusable after that. */
  push(chunk: Buffer): void {
    let buf = chunk;
    if (this.pending) { buf = Buffer.concat([this.pending, chunk]); this.pending = undefined; }
    let pos = 0;
    const len = buf.length;
    while (pos < len) {
      switch (this.state) {
        case HEAD: {
          // Empty lines before a request line are allowed (RFC 9112 §2.2).
          while (pos + 1 < len && buf[pos] === 13 && buf[pos + 1] === 10) pos += 2;
          const end = buf.indexOf(CRLFCRLF, pos);
          if (end < 0) {
            if (len - pos > MAX_HEAD_BYTES) throw new FramingError(`a message head longer than ${MAX_HEAD_BYTES} bytes`);
            if (pos < len) this.pending = buf.subarray(pos);
            return;
          }
          this.head(buf.toString('latin1', pos, end));
          pos = end + 4;
          break;
        }
        case BODY:
        case CHUNK_DATA: {
          const n = Math.min(this.remaining, len - pos);
          if (this.opts.keepBody) this.parts.push(buf.subarray(pos, pos + n));
          pos += n;
          this.remaining -= n;
          if (this.remaining > 0) return;
          if (this.state === BODY) this.emit(); else this.state = CHUNK_END;
          break;
        }
        case CHUNK_SIZE:
        case TRAILERS: {
          const nl = buf.indexOf(CRLF, pos);
          if (nl < 0) {
            if (len - pos > 4096) throw new FramingError('a chunk size or trailer line longer than 4 KiB');
            this.pending = buf.subarray(pos);
            return;
          }
          const line = buf.toString('latin1', pos, nl);
          pos = nl + 2;
          if (this.state === TRAILERS) {
            if (line === '') this.emit();
            else if (line.indexOf(':') <= 0) throw new FramingError(`malformed trailer line ${JSON.stringify(line.slice(0, 60))}`);
            break;
          }
          const m = /^([0-9A-Fa-f]{1,12})[ \t]*(?:;.*)?$/.exec(line);
          if (!m) throw new FramingError(`malformed chunk size line ${JSON.stringify(line.slice(0, 60))}`);
          this.remaining = parseInt(m[1]!, 16);
          this.state = this.remaining === 0 ? TRAILERS : CHUNK_DATA;
          break;
        }
        case CHUNK_END: {
          if (len - pos < 2) { this.pending = buf.subarray(pos); return; }
          if (buf[pos] !== 13 || buf[pos + 1] !== 10) throw new FramingError('chunk data longer than its size');
          pos += 2;
          this.state = CHUNK_SIZE;
          break;
        }
      }
    }
  }

  private head(head: string): void {
    const eol = head.indexOf('\r\n');
    const startLine = eol < 0 ? head : head.slice(0, eol);
    if (this.opts.responses ? !/^HTTP\/1\.[01] \d{3}/.test(startLine) : !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+ \S+ HTTP\/1\.[01]$/.test(startLine)) {
      throw new FramingError(`malformed start line ${JSON.stringify(startLine.slice(0, 60))}`);
    }
    this.startLine = startLine;
    this.parts = [];
    if (this.opts.responses) {
      const status = Number(startLine.slice(9, 12));
      if (status < 200 || status === 204 || status === 304) {
        // An interim answer (100 Continue) precedes the real one; it is not a message of its own here.
        if (status >= 200) this.emit();
        return;
      }
    }
    if (CHUNKED.test(head)) { this.state = CHUNK_SIZE; return; }
    const cl = CONTENT_LENGTH.exec(head);
    if (cl) {
      this.remaining = Number(cl[1]);
      if (this.remaining > 0) { this.state = BODY; return; }
    } else if (this.opts.responses) {
      throw new FramingError('a response without Content-Length or chunked framing');
    }
    this.emit();
  }

  private emit(): void {
    const parts = this.parts;
    const body = !this.opts.keepBody ? undefined : parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    this.parts = [];
    this.state = HEAD;
    this.onMessage(this.startLine, body);
  }
}

// ---- receiver ------------------------------------------------------------------

/**
 * Where a body carries the generator's scheduled send time, in wall-clock
 * microseconds as an integer: `"bench_sent_us":<integer>`. An integer (16
 * digits, exact in a double) is written by JSON.stringify as it was sent, so
 * the body stays the compact JSON text a tool's encoder writes; a decimal
 * millisecond stamp (toFixed(3): 16 significant digits, past a double's
 * precision) came back from parsing as another text in about one body in
 * ten (a trailing zero, or a last digit a double cannot hold), and the
 * server serialised those again instead of keeping the body as the event's
 * text (issue 12, session 13).
 */
export const SENT_AT_KEY = '"bench_sent_us":';
const SENT_AT = Buffer.from(SENT_AT_KEY);
const OK = Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
const BAD = Buffer.from('HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
const wallNow = () => performance.timeOrigin + performance.now();

export interface ReceiverCounts {
  /** Deliveries answered (POSTs other than the control requests). */
  received: number;
  /** POST → receiver latency (ms) of the answered deliveries whose body carried bench_sent_us, in order. */
  latencies: number[];
  /** Each latency's send time (wall-clock ms), same order: the sustained phase's per-second series. */
  sent: number[];
  /** Connections refused for bytes that were not HTTP/1.1. */
  malformed: number;
  /** Deliveries read and not answered yet (while held). */
  holding: number;
}

/**
 * The receiver of the http action: answers every POST `200 ok` on keep-alive
 * sockets, counting it when answered. Control requests on the same port:
 * `GET /stats?from=N` (JSON: received, the latencies from index N, malformed)
 * and `PUT /hold?on=1|0` (while on, deliveries are read and their answers
 * kept until it goes off: the action sits at its concurrency limit).
 */
export async function startReceiver(host = '127.0.0.1'): Promise<{ port: number; counts: ReceiverCounts; close(): Promise<void> }> {
  const counts: ReceiverCounts = { received: 0, latencies: [], sent: [], malformed: 0, holding: 0 };
  let held: Array<() => void> | undefined;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    // Answers leave in request order: a held answer keeps the ones behind it until released.
    const out: Array<Buffer | { released: boolean }> = [];
    const flush = () => {
      let n = 0;
      while (n < out.length && (Buffer.isBuffer(out[n]) || (out[n] as { released: boolean }).released)) n++;
      if (n === 0) return;
      const ready = out.splice(0, n).map((a) => (Buffer.isBuffer(a) ? a : OK));
      socket.write(ready.length === 1 ? ready[0]! : Buffer.concat(ready));
    };
    const reader = new MessageReader((startLine, body) => {
      if (startLine.charCodeAt(0) === 80 && startLine.charCodeAt(1) === 79) { // POST: a delivery
        const sentAt = body ? sentAtOf(body) : NaN;
        const answer = () => {
          counts.received++;
          if (!Number.isNaN(sentAt)) { counts.latencies.push(wallNow() - sentAt); counts.sent.push(sentAt); }
        };
        if (held) {
          const slot = { released: false };
          out.push(slot);
          counts.holding++;
          held.push(() => {
            counts.holding--;
            answer();
            slot.released = true;
            flush();
          });
        } else {
          answer();
          out.push(OK);
        }
        return;
      }
      out.push(control(startLine));
    }, { keepBody: true, responses: false });
    socket.on('data', (chunk: Buffer) => {
      try {
        reader.push(chunk);
      } catch {
        counts.malformed++;
        flush();
        socket.end(BAD);
        return;
      }
      flush();
    });
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });

  function control(startLine: string): Buffer {
    const target = new URL(startLine.split(' ')[1]!, 'http://x');
    let text = 'ok';
    let type = 'text/plain';
    if (startLine.startsWith('PUT ') && target.pathname === '/hold') {
      const on = target.searchParams.get('on') === '1';
      const release = held ?? [];
      held = on ? (held ?? []) : undefined;
      if (!on) for (const answer of release) answer();
    } else if (startLine.startsWith('GET ') && target.pathname === '/stats') {
      const from = Number(target.searchParams.get('from') ?? 0);
      text = JSON.stringify({ received: counts.received, latencies: counts.latencies.slice(from), sent: counts.sent.slice(from), malformed: counts.malformed });
      type = 'application/json';
    } else {
      return Buffer.from('HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n');
    }
    return Buffer.from(`HTTP/1.1 200 OK\r\ncontent-type: ${type}\r\ncontent-length: ${Buffer.byteLength(text)}\r\n\r\n${text}`);
  }

  await new Promise<void>((r) => server.listen(0, host, () => r()));
  return {
    port: (server.address() as net.AddressInfo).port,
    counts,
    close: () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
  };
}

/** The send time (wall-clock ms) in a body's `"bench_sent_us":`, NaN without one. */
export function sentAtOf(body: Buffer): number {
  const at = body.indexOf(SENT_AT);
  return at < 0 ? NaN : parseInt(body.toString('latin1', at + SENT_AT.length, Math.min(body.length, at + SENT_AT.length + 32)), 10) / 1000;
}

// ---- generator -----------------------------------------------------------------

export interface OpenLoopResult {
  offered: number;
  /** Latency (ms) of each 2xx answer, from the request's scheduled send time. */
  latencies: number[];
  /** Answers by status class: 202 and other 2xx are `ok`; 503 `refused`; anything else, a dropped connection or a framing error `errors`. */
  ok: number;
  refused: number;
  errors: number;
  seconds: number;
  /** 2xx answers to the warm-up's requests (not in the figures above). */
  warmupOk: number;
  /** The measured part by second of due time: each second's 2xx latencies and 503s (where in the phase a tail or the refusals sit). */
  bySecond: Array<{ latencies: number[]; refused: number }>;
}

/**
 * Offers `rate` POSTs per second to `url` for `ms`, open loop: request i is
 * due at start + i/rate, whatever the answers, and its latency counts from
 * that scheduled time (a generator that falls behind, or a request waiting
 * for a free connection, adds to the latency instead of hiding it: no
 * coordinated omission). Each body is `bodyWithout` (a JSON object's text)
 * with `"bench_sent_us":<scheduled wall-clock µs>` as its first member, for
 * the receiver's POST → receiver latency. Requests go over up to
 * `connections` keep-alive sockets, one request at a time on each (more
 * wait in order for the next free socket), from bytes built once: only the
 * send time is written per request.
 *
 * `warmupMs` first offers the same rate for that long on the same sockets
 * without counting it, so the measured part starts with the connections
 * the warm-up opened, as a sender that keeps its connections would: Node's
 * server (libuv 1.45+) accepts one connection per event-loop turn, so on a
 * busy server a generator opening dozens of fresh sockets at once waits a
 * turn per socket (measured: the 77th new connection accepted ~500 ms after
 * its handshake while the answers themselves took under 50 ms), which is
 * the connection ramp, not the steady state the phase is about.
 */
export async function openLoop(url: string, bodyWithout: string, rate: number, ms: number, connections = 256, warmupMs = 0): Promise<OpenLoopResult> {
  const u = new URL(url);
  if (!bodyWithout.startsWith('{')) throw new Error('the body must be a JSON object');
  // Fixed width (16 digits of microseconds until the year 2286), so Content-Length is fixed too.
  const stamp = (at: number) => String(Math.round((performance.timeOrigin + at) * 1000));
  const width = stamp(0).length;
  const body = (filler: string) => `{${SENT_AT_KEY}${filler}${bodyWithout.length > 2 ? ',' : ''}${bodyWithout.slice(1)}`;
  const head = `POST ${u.pathname}${u.search} HTTP/1.1\r\nhost: ${u.host}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body('0'.repeat(width)))}\r\n\r\n`;
  const template = Buffer.from(head + body('0'.repeat(width)));
  const stampAt = Buffer.byteLength(head) + 1 + SENT_AT_KEY.length;

  const result: OpenLoopResult = { offered: 0, latencies: [], ok: 0, refused: 0, errors: 0, seconds: 0, warmupOk: 0, bySecond: [] };
  const idle: Conn[] = [];
  const sockets = new Set<net.Socket>();
  const queue: number[] = [];
  let open = 0;
  let inflight = 0;
  let allAnswered: (() => void) | undefined;
  const warmupFrom = performance.now();
  const warmupTotal = Math.floor((rate * warmupMs) / 1000);
  // The first measured request's due time.
  const started = warmupFrom + (warmupTotal * 1000) / rate;

  interface Conn { socket: net.Socket; due: number }
  let finished = false;
  const answered = (status: number, due: number) => {
    if (finished) return;
    inflight--;
    if (due < started) { if (status >= 200 && status < 300) result.warmupOk++; }
    else {
      const second = (result.bySecond[Math.floor((due - started) / 1000)] ??= { latencies: [], refused: 0 });
      if (status >= 200 && status < 300) { const latency = performance.now() - due; result.ok++; result.latencies.push(latency); second.latencies.push(latency); }
      else if (status === 503) { result.refused++; second.refused++; }
      else result.errors++;
    }
    if (inflight === 0) allAnswered?.();
  };
  const send = (conn: Conn, due: number) => {
    conn.due = due;
    const wire = Buffer.allocUnsafe(template.length);
    template.copy(wire);
    wire.write(stamp(due), stampAt, width, 'latin1');
    conn.socket.write(wire);
  };
  const connect = (due: number) => {
    open++;
    const socket = net.connect({ host: u.hostname, port: Number(u.port || 80) });
    sockets.add(socket);
    socket.setNoDelay(true);
    const conn: Conn = { socket, due: NaN };
    let gone = false;
    const reader = new MessageReader((startLine) => {
      const status = Number(startLine.slice(9, 12));
      const was = conn.due;
      conn.due = NaN;
      const next = queue.shift();
      if (next !== undefined) send(conn, next); else idle.push(conn);
      answered(status, was);
    }, { keepBody: false, responses: true });
    const drop = () => {
      if (gone) return;
      gone = true;
      open--;
      const i = idle.indexOf(conn);
      if (i >= 0) idle.splice(i, 1);
      socket.destroy();
      // The request on it is lost: an error, as a client would report it.
      if (!Number.isNaN(conn.due)) answered(0, conn.due);
      const next = queue.shift();
      if (next !== undefined) connect(next);
    };
    socket.on('data', (chunk: Buffer) => { try { reader.push(chunk); } catch { drop(); } });
    socket.on('error', drop);
    socket.on('close', drop);
    send(conn, due);
  };
  const offer = (due: number) => {
    inflight++;
    const conn = idle.pop();
    if (conn) send(conn, due);
    else if (open < connections) connect(due);
    else queue.push(due);
  };

  const total = warmupTotal + Math.floor((rate * ms) / 1000);
  let n = 0;
  while (n < total) {
    const now = performance.now();
    while (n < total) {
      const due = warmupFrom + (n * 1000) / rate;
      if (due > now) break;
      offer(due);
      n++;
    }
    // Timers fire late by up to a millisecond or so: the requests due meanwhile go out on the next pass, with their own due times.
    await new Promise((r) => setTimeout(r, 1));
  }
  result.offered = n - warmupTotal;
  result.seconds = (performance.now() - started) / 1000;
  // Bounded: what is not answered within a minute after the last offer counts as errors.
  if (inflight > 0) {
    await new Promise<void>((r) => { allAnswered = r; setTimeout(r, 60_000).unref(); });
    result.errors += inflight;
  }
  finished = true;
  queue.length = 0;
  for (const s of sockets) s.destroy();
  return result;
}
