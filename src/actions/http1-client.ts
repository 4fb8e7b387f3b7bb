// The HTTP/1.1 client of the http and webhook actions: keep-alive sockets per
// origin, one request at a time on each, the answer read into a bounded text.
//
// Hand-written instead of a kept library because of its cost per delivery,
// the hot path of issue 12: on the 2-core bench machine undici costs ~85–95 µs
// of client CPU per request and node:http ~80–95 µs, against ~26–32 µs for a
// bare keep-alive net.Socket against the same receiver; target 1 (9,000
// deliveries/s) cannot be met at 85 µs each (BENCHMARKS.md, "Issue 12,
// session 6: wire"). It does only what deliveries need: no pipelining,
// redirects, proxies, compression, upgrades or streaming request bodies.
//
// Framing follows RFC 9112: Content-Length, chunked (extensions and trailers
// read and ignored), close-delimited bodies; 1xx interim answers skipped; no
// body for HEAD, 204 and 304. A malformed or oversized answer is an error
// naming what was wrong and its socket is destroyed, never reused.

import net from 'node:net';
import tls from 'node:tls';
import { RecentMemo } from '../recent-memo.js';
import { ChurnSet } from '../churn-map.js';

export interface Http1Answer {
  status: number;
  /** The answer's body as UTF-8 text, at most maxBodyBytes of it (the rest was read and discarded). */
  body: string;
}

export interface Http1Request {
  url: string | URL;
  method: string;
  headers?: Record<string, string | string[]>;
  body?: string | Buffer;
  /**
   * The exchange (connecting, sending, the answer) must end within this,
   * counted from when the request gets a socket: a request waiting for one of
   * the `connections` (the action's queue, see Action.queueAhead) does not
   * time out because the ones before it were slow.
   */
  timeoutMs: number;
  /** Aborting (shutdown, a delivery's deadline) destroys the socket and fails the request with the signal's reason. */
  signal?: AbortSignal;
  /** Given a function that fails the request as an abort would: the client thread's cancel, without an AbortController per request. */
  onCancel?: (cancel: (reason: Error) => void) => void;
  /**
   * A text whose UTF-8 bytes the client sends base64-encoded in its
   * `base64Header` (the http action's Hooker-Event: the event's JSON). The
   * client encodes it, not the caller: with the client thread, the bytes,
   * their base64 and the copy that crossed to the thread were made on the
   * event loop for every event and lived until its answers came back, ~35 %
   * of what the young generation promoted in the sustained phase (issue 12,
   * BENCHMARKS.md "session 14: tail"); now the text crosses as it is. When
   * the body is the same text, its bytes are encoded once for both.
   */
  base64Of?: string;
}

/** Where a request's `base64Of` goes (Http1ClientOptions.base64Header). */
export interface Base64Header {
  name: string;
  /** Sent instead, with the text's size in bytes, when the encoding would be longer than `maxChars` (receivers refuse large header lines). */
  omittedName: string;
  maxChars: number;
}

export interface Http1ClientOptions {
  /**
   * Sockets per origin (the action's concurrency): one per running request;
   * more requests wait in order for one and are sent the moment one frees,
   * from its answer's callback.
   */
  connections: number;
  /** An idle keep-alive socket is closed after this long (sooner when the server's Keep-Alive says so). */
  idleTimeoutMs?: number;
  /** Bytes of an answer's status line and headers (each interim answer and the trailers counted alike). */
  maxHeaderBytes?: number;
  /** Bytes of an answer's body kept as text. */
  maxBodyBytes?: number;
  /** Certificates to trust for https: besides the default CAs (tests; a private CA). */
  ca?: string | Buffer | Array<string | Buffer>;
  /** The header of a request's `base64Of`; without it `base64Of` is ignored. */
  base64Header?: Base64Header;
}

/** A text's UTF-8 bytes and the header line that carries them (Http1Request.base64Of). */
interface Encoded { bytes: Buffer; line: string }
function encode(text: string, h: Base64Header): Encoded {
  const bytes = Buffer.from(text);
  // base64 is 4/3 of the bytes: what cannot fit is not encoded.
  const line = Math.ceil(bytes.length / 3) * 4 <= h.maxChars ? `${h.name}: ${bytes.toString('base64')}\r\n` : `${h.omittedName}: ${bytes.length}\r\n`;
  return { bytes, line };
}

/** The request did not end within its timeout; describeHttpError reports it as "timed out after N ms". */
export class HttpTimeoutError extends Error {
  override name = 'TimeoutError';
}

/** The server's answer broke HTTP/1.1 (the message names how) or exceeded a bound. */
export class HttpAnswerError extends Error {
  override name = 'HttpAnswerError';
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/**
 * Whether a header value holds a CR, LF or NUL. Three single-character
 * searches (memchr speed) instead of /[\r\n\0]/, which stepped through the
 * 1.3 KB Hooker-Event value of every request at ~1 ns a character: 1.2-1.7
 * against 0.1 µs a value, 2 % of the HTTP client thread's samples in the
 * sustained phase (issue 12, BENCHMARKS.md "session 13: loop").
 */
export function breaksLine(v: string): boolean {
  return v.indexOf('\r') >= 0 || v.indexOf('\n') >= 0 || v.indexOf('\0') >= 0;
}
const STATUS_LINE = /^HTTP\/1\.([01]) (\d{3})(?: |$)/;
const CHUNK_SIZE = /^([0-9A-Fa-f]{1,12})[ \t]*(?:;.*)?$/;
/** Framing headers this client writes itself; an action's own would contradict the body it sends. */
const OWN_HEADERS = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'te', 'expect']);
/** Servers commonly close an idle socket at their Keep-Alive timeout; stop reusing it this much earlier so a request never races the close. */
const KEEP_ALIVE_MARGIN_MS = 1_000;

interface Target { key: string; tls: boolean; host: string; port: number; servername?: string; hostHeader: string; path: string }

/** Parsed URLs by their text: an action sends to the same few URLs over and over. */
const targets = new Map<string, Target>();
function target(url: string | URL): Target {
  const text = typeof url === 'string' ? url : url.href;
  let t = targets.get(text);
  if (t) return t;
  const u = typeof url === 'string' ? new URL(url) : url;
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`${u.protocol} is not http: or https:`);
  const isTls = u.protocol === 'https:';
  const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
  const port = u.port ? Number(u.port) : isTls ? 443 : 80;
  t = {
    key: `${u.protocol}//${u.host}`, tls: isTls, host, port, hostHeader: u.host, path: `${u.pathname}${u.search}`,
    // SNI carries a host name, never an address (RFC 6066).
    ...(isTls && net.isIP(host) === 0 ? { servername: host } : {}),
  };
  if (targets.size >= 1024) targets.clear();
  targets.set(text, t);
  return t;
}

/**
 * The request head, validated: a CR, LF or NUL in a header would let whoever
 * chose the value (an event) add headers or requests. `line`: a header line
 * the client made itself (base64, never checked).
 */
function requestHead(method: string, t: Target, headers: Record<string, string | string[]> | undefined, bodyBytes: number, line: string | undefined): string {
  if (!TOKEN.test(method)) throw new Error(`method ${JSON.stringify(method)} is not an HTTP token`);
  let head = `${method} ${t.path} HTTP/1.1\r\n`;
  let host = t.hostHeader;
  if (headers) {
    for (const name in headers) {
      if (!TOKEN.test(name)) throw new Error(`header name ${JSON.stringify(name)} is not an HTTP token`);
      const lower = name.toLowerCase();
      if (OWN_HEADERS.has(lower)) continue;
      const value = headers[name]!;
      for (const v of Array.isArray(value) ? value : [value]) {
        if (breaksLine(v)) throw new Error(`header ${name}: the value contains a line break or NUL, refused`);
        if (lower === 'host') host = v;
        else head += `${name}: ${v}\r\n`;
      }
    }
  }
  if (line !== undefined) head += line;
  head = `${head}Host: ${host}\r\n`;
  if (bodyBytes >= 0) head += `content-length: ${bodyBytes}\r\n`;
  return `${head}\r\n`;
}

/** Keep-alive HTTP/1.1 client: one per action, so its pool is sized by that action's concurrency. */
export class Http1Client {
  private readonly origins = new Map<string, Origin>();
  private sweeper: NodeJS.Timeout | undefined;
  private closed = false;
  readonly idleTimeoutMs: number;
  readonly maxHeaderBytes: number;
  readonly maxBodyBytes: number;
  /** The encodings of the last few `base64Of` texts: an event's deliveries are handed over side by side. */
  private readonly encoded: RecentMemo<Encoded> | undefined;

  constructor(readonly options: Http1ClientOptions) {
    this.idleTimeoutMs = options.idleTimeoutMs ?? 30_000;
    this.maxHeaderBytes = options.maxHeaderBytes ?? 16 * 1024;
    this.maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
    const h = options.base64Header;
    if (h) this.encoded = new RecentMemo(4, (text) => encode(text, h));
  }

  request(req: Http1Request): Promise<Http1Answer> {
    return new Promise<Http1Answer>((resolve, reject) => {
      if (req.signal?.aborted) { reject(abortReason(req.signal)); return; }
      if (this.closed) { reject(new Error('the HTTP client is closed')); return; }
      let t: Target;
      let wire: string | Buffer;
      try {
        t = target(req.url);
        let body = req.body;
        let line: string | undefined;
        if (req.base64Of !== undefined && this.encoded) {
          const e = this.encoded.get(req.base64Of);
          line = e.line;
          if (body === req.base64Of) body = e.bytes;
        }
        const bodyBytes = body === undefined ? (req.method === 'POST' || req.method === 'PUT' || req.method === 'PATCH' ? 0 : -1)
          : typeof body === 'string' ? Buffer.byteLength(body) : body.length;
        const head = requestHead(req.method, t, req.headers, bodyBytes, line);
        // Head and body leave in one write (one segment for a small event).
        if (body === undefined) wire = head;
        else if (typeof body === 'string') wire = head + body;
        else {
          const headBytes = Buffer.byteLength(head);
          wire = Buffer.allocUnsafe(headBytes + body.length);
          wire.write(head, 0, headBytes, 'utf8');
          body.copy(wire, headBytes);
        }
      } catch (e) {
        reject(e as Error);
        return;
      }
      let origin = this.origins.get(t.key);
      if (!origin) this.origins.set(t.key, origin = new Origin(this, t));
      const x = new Exchange(origin, wire, req.method === 'HEAD', req.timeoutMs, req.signal, resolve, reject);
      req.onCancel?.((reason) => x.fail(reason));
      origin.start(x);
    });
  }

  /** Closes idle sockets now and busy ones when their request ends; later requests fail. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.sweeper) clearInterval(this.sweeper);
    for (const o of this.origins.values()) o.closeIdle(0);
  }

  /** @internal Starts the sweep that closes sockets idle for longer than idleTimeoutMs. */
  watchIdle(): void {
    if (this.sweeper || this.closed) return;
    this.sweeper = setInterval(() => {
      const now = Date.now();
      for (const o of this.origins.values()) o.closeIdle(now);
    }, Math.max(100, Math.min(this.idleTimeoutMs / 2, 5_000)));
    this.sweeper.unref();
  }

  /** @internal */
  get isClosed(): boolean { return this.closed; }
}

/** The sockets to one origin (scheme, host, port) and the requests waiting for one. */
class Origin {
  /** Most recently used last: reusing it keeps the fewest sockets warm. */
  readonly idle: Conn[] = [];
  readonly waiting: Exchange[] = [];
  open = 0;

  constructor(readonly client: Http1Client, readonly target: Target) {}

  start(x: Exchange): void {
    const now = Date.now();
    let conn: Conn | undefined;
    while ((conn = this.idle.pop())) {
      if (conn.reusableAt(now)) { conn.send(x, true); return; }
      conn.destroy();
    }
    if (this.open < this.client.options.connections) this.connect(x);
    else this.waiting.push(x);
  }

  connect(x: Exchange): void {
    this.open++;
    const t = this.target;
    const socket = t.tls
      ? tls.connect({ host: t.host, port: t.port, ALPNProtocols: ['http/1.1'], ...(t.servername ? { servername: t.servername } : {}), ...(this.client.options.ca ? { ca: this.client.options.ca } : {}) })
      : net.connect({ host: t.host, port: t.port });
    socket.setNoDelay(true);
    this.client.watchIdle();
    // Written before the connection is up: the socket queues it until then.
    new Conn(this, socket).send(x, false);
  }

  /** A request ended on `conn` and the socket may carry another. */
  release(conn: Conn): void {
    if (this.client.isClosed) { conn.destroy(); return; }
    const next = this.waiting.shift();
    if (next) { conn.send(next, true); return; }
    conn.idleSince = Date.now();
    conn.socket.unref();
    this.idle.push(conn);
  }

  /** A socket is gone. */
  forget(conn: Conn): void {
    this.open--;
    const i = this.idle.indexOf(conn);
    if (i >= 0) this.idle.splice(i, 1);
  }

  /** Waiting requests get new sockets while there is room. */
  pump(): void {
    while (this.waiting.length > 0 && this.open < this.client.options.connections) this.connect(this.waiting.shift()!);
  }

  /** Closes sockets idle since before now − idleTimeout (all of them for now = 0). */
  closeIdle(now: number): void {
    const limit = now - this.client.idleTimeoutMs;
    for (const c of [...this.idle]) if (now === 0 || c.idleSince <= limit || !c.reusableAt(now)) c.destroy();
  }

  dequeue(x: Exchange): void {
    const i = this.waiting.indexOf(x);
    if (i >= 0) this.waiting.splice(i, 1);
  }
}

/** One request: its bytes, its timer and abort listener, and how it ends. */
class Exchange {
  conn: Conn | undefined;
  done = false;
  /** Sent again on a fresh socket once after a reused socket closed before any answer byte. */
  retried = false;
  /** Set once the request has a socket (see begin). */
  private timer: NodeJS.Timeout | undefined;
  private readonly offAbort: (() => void) | undefined;

  constructor(
    readonly origin: Origin, readonly wire: string | Buffer, readonly head: boolean, readonly timeoutMs: number,
    readonly signal: AbortSignal | undefined,
    private readonly resolve: (a: Http1Answer) => void, private readonly reject: (e: Error) => void,
  ) {
    // An abort also takes a request out of the queue (fail → dequeue): a shut down or cancelled delivery is never sent.
    if (signal) this.offAbort = whenAborted(signal, (reason) => this.fail(reason));
  }

  /**
   * The request got a socket: its timeout runs from now. Not restarted when
   * it is sent once more on a fresh socket after a reused one closed (the
   * keep-alive race): the timeout bounds its whole time on the wire.
   */
  begin(): void {
    if (this.timer !== undefined || this.done) return;
    this.timer = setTimeout(() => this.fail(new HttpTimeoutError(`timed out after ${this.timeoutMs} ms`)), this.timeoutMs);
  }

  private settle(): boolean {
    if (this.done) return false;
    this.done = true;
    clearTimeout(this.timer);
    this.offAbort?.();
    return true;
  }

  succeed(answer: Http1Answer): void {
    if (this.settle()) this.resolve(answer);
  }

  /** Fails the request; its socket (if any) is destroyed, since its state is unknown. */
  fail(err: Error): void {
    if (!this.settle()) return;
    if (this.conn) { const c = this.conn; this.conn = undefined; c.abandon(); }
    else this.origin.dequeue(this);
    this.reject(err);
  }
}

// Parser states.
const STATUS = 0, HEADERS = 1, BODY_LENGTH = 2, CHUNK_SIZE_LINE = 3, CHUNK_DATA = 4, CHUNK_END = 5, TRAILERS = 6, BODY_CLOSE = 7, IDLE = 8;

/** One socket and the parser of the answer arriving on it. */
class Conn {
  exchange: Exchange | undefined;
  idleSince = 0;
  /** The server's Keep-Alive timeout, if it gave one, as a time after which the socket is not reused. */
  private keepAliveUntil = Infinity;
  private state = IDLE;
  private reused = false;
  private gotBytes = false;
  private pending: Buffer | undefined;
  private headBytes = 0;
  private status = 0;
  private http10 = false;
  private closeAfter = false;
  private contentLength = -1;
  private chunked = false;
  /** A Transfer-Encoding other than chunked last: the body ends with the connection, whatever Content-Length says. */
  private otherCoding = false;
  private remaining = 0;
  private kept: Buffer[] = [];
  private keptBytes = 0;
  private error: Error | undefined;
  private gone = false;

  constructor(readonly origin: Origin, readonly socket: net.Socket) {
    socket.on('data', (b: Buffer) => this.onData(b));
    socket.on('error', (e) => { this.error ??= e; });
    socket.on('close', () => this.onClose());
  }

  reusableAt(now: number): boolean {
    return !this.gone && !this.socket.destroyed && this.socket.readyState === 'open' && now < this.keepAliveUntil;
  }

  send(x: Exchange, reused: boolean): void {
    x.begin();
    x.conn = this;
    this.exchange = x;
    this.reused = reused;
    this.gotBytes = false;
    this.beginAnswer();
    if (reused) this.socket.ref();
    this.socket.write(x.wire);
  }

  destroy(): void {
    if (this.gone) return;
    this.socket.destroy();
  }

  /** The exchange gave up (timeout, abort): the socket may still carry part of its answer. */
  abandon(): void {
    this.exchange = undefined;
    this.socket.destroy();
  }

  private beginAnswer(): void {
    this.state = STATUS;
    this.headBytes = 0;
    this.status = 0;
    this.http10 = false;
    this.closeAfter = false;
    this.contentLength = -1;
    this.chunked = false;
    this.otherCoding = false;
    this.kept = [];
    this.keptBytes = 0;
  }

  private onData(chunk: Buffer): void {
    if (!this.exchange) { this.socket.destroy(); return; } // bytes nobody asked for: the socket is not in a known state
    this.gotBytes = true;
    let buf = chunk;
    if (this.pending) { buf = Buffer.concat([this.pending, chunk]); this.pending = undefined; }
    try {
      this.parse(buf);
    } catch (e) {
      this.failExchange(e as Error);
    }
  }

  private parse(buf: Buffer): void {
    let pos = 0;
    const len = buf.length;
    while (pos < len || this.state === IDLE) {
      const state = this.state;
      if (state === BODY_LENGTH || state === CHUNK_DATA) {
        const n = Math.min(this.remaining, len - pos);
        this.keep(buf, pos, pos + n);
        pos += n;
        this.remaining -= n;
        if (this.remaining > 0) return;
        if (state === BODY_LENGTH) { this.complete(buf, pos); return; }
        this.state = CHUNK_END;
        continue;
      }
      if (state === BODY_CLOSE) { this.keep(buf, pos, len); return; }
      if (state === IDLE) return;
      // A line: status line, header, chunk size, chunk end or trailer.
      const nl = buf.indexOf(10, pos);
      if (nl < 0) {
        // The partial line is kept and scanned again with the next bytes; it is counted once, when complete.
        if (state !== CHUNK_SIZE_LINE && state !== CHUNK_END) this.checkHead(len - pos);
        else if (len - pos > 1024) throw new HttpAnswerError('malformed chunked body: a chunk size line longer than 1 KiB');
        this.pending = buf.subarray(pos);
        return;
      }
      const end = nl > pos && buf[nl - 1] === 13 ? nl - 1 : nl;
      const line = buf.toString('latin1', pos, end);
      if (state !== CHUNK_SIZE_LINE && state !== CHUNK_END) this.countHead(nl + 1 - pos);
      pos = nl + 1;
      this.line(line);
      if (this.state === IDLE) { this.complete(buf, pos); return; }
    }
  }

  private countHead(n: number): void {
    this.headBytes += n;
    this.checkHead(0);
  }

  private checkHead(more: number): void {
    if (this.headBytes + more > this.origin.client.maxHeaderBytes) {
      throw new HttpAnswerError(`answer headers larger than ${this.origin.client.maxHeaderBytes} bytes`);
    }
  }

  private line(line: string): void {
    switch (this.state) {
      case STATUS: {
        const m = STATUS_LINE.exec(line);
        if (!m) throw new HttpAnswerError(`malformed status line ${JSON.stringify(line.slice(0, 80))}`);
        this.http10 = m[1] === '0';
        this.status = Number(m[2]);
        if (this.status < 100) throw new HttpAnswerError(`malformed status line ${JSON.stringify(line.slice(0, 80))}`);
        this.state = HEADERS;
        return;
      }
      case HEADERS:
        if (line === '') { this.headersDone(); return; }
        this.header(line);
        return;
      case CHUNK_SIZE_LINE: {
        const m = CHUNK_SIZE.exec(line);
        if (!m) throw new HttpAnswerError(`malformed chunked body: chunk size line ${JSON.stringify(line.slice(0, 80))}`);
        const size = parseInt(m[1]!, 16);
        if (size === 0) { this.state = TRAILERS; return; }
        this.remaining = size;
        this.state = CHUNK_DATA;
        return;
      }
      case CHUNK_END:
        if (line !== '') throw new HttpAnswerError('malformed chunked body: chunk data longer than its size');
        this.state = CHUNK_SIZE_LINE;
        return;
      case TRAILERS:
        // Trailers are read for framing only; the actions report the body.
        if (line === '') this.state = IDLE;
        else if (line.indexOf(':') <= 0) throw new HttpAnswerError(`malformed trailer line ${JSON.stringify(line.slice(0, 80))}`);
        return;
    }
  }

  private header(line: string): void {
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon) : '';
    if (!TOKEN.test(name)) throw new HttpAnswerError(`malformed header line ${JSON.stringify(line.slice(0, 80))}`);
    // Only the framing headers matter here; compared by length first, since most answers carry a handful of others.
    const n = name.length;
    if (n !== 14 && n !== 17 && n !== 10) return;
    const lower = name.toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (lower === 'content-length') {
      for (const part of value.split(',')) {
        const v = part.trim();
        if (!/^\d{1,15}$/.test(v)) throw new HttpAnswerError(`malformed Content-Length ${JSON.stringify(value.slice(0, 40))}`);
        const cl = Number(v);
        if (this.contentLength >= 0 && this.contentLength !== cl) throw new HttpAnswerError('conflicting Content-Length headers');
        this.contentLength = cl;
      }
    } else if (lower === 'transfer-encoding') {
      const codings = value.toLowerCase().split(',').map((s) => s.trim());
      // Chunked framing only when chunked is the last coding (RFC 9112 §6.3); otherwise the body ends with the connection.
      this.chunked = codings[codings.length - 1] === 'chunked';
      this.otherCoding = !this.chunked;
    } else if (lower === 'connection') {
      if (/(?:^|,)\s*close\s*(?:,|$)/i.test(value)) this.closeAfter = true;
    } else if (lower === 'keep-alive') {
      const m = /timeout\s*=\s*(\d+)/i.exec(value);
      if (m) this.keepAliveUntil = Date.now() + Number(m[1]) * 1000 - KEEP_ALIVE_MARGIN_MS;
    }
  }

  private headersDone(): void {
    const s = this.status;
    if (s < 200) {
      // 101 would switch protocols, which this client never asks for.
      if (s === 101) throw new HttpAnswerError('unexpected 101 Switching Protocols');
      this.beginAnswer(); // an interim answer (100 Continue, 103 Early Hints): the real one follows
      return;
    }
    if (this.http10) this.closeAfter = true; // HTTP/1.0 keep-alive is opt-in and rare: not worth reusing
    if (this.exchange!.head || s === 204 || s === 304) { this.state = IDLE; return; }
    if (this.chunked) {
      // Both framings: the length is not to be trusted (request smuggling), nor the socket after.
      if (this.contentLength >= 0) this.closeAfter = true;
      this.state = CHUNK_SIZE_LINE;
    } else if (this.contentLength >= 0 && !this.otherCoding) {
      this.remaining = this.contentLength;
      this.state = this.remaining > 0 ? BODY_LENGTH : IDLE;
    } else {
      this.closeAfter = true;
      this.state = BODY_CLOSE;
    }
  }

  private keep(buf: Buffer, from: number, to: number): void {
    const room = this.origin.client.maxBodyBytes - this.keptBytes;
    if (room <= 0 || to <= from) return;
    const piece = buf.subarray(from, Math.min(to, from + room));
    this.kept.push(piece);
    this.keptBytes += piece.length;
  }

  /** The kept part of the answer's body as text. */
  private keptText(): string {
    const kept = this.kept;
    return kept.length === 0 ? '' : kept.length === 1 ? kept[0]!.toString('utf8') : Buffer.concat(kept).toString('utf8');
  }

  /** The answer ended at `pos` of `buf`. */
  private complete(buf: Buffer, pos: number): void {
    const x = this.exchange!;
    this.exchange = undefined;
    x.conn = undefined;
    this.state = IDLE;
    const body = this.keptText();
    this.kept = [];
    const status = this.status;
    // Bytes after the answer were never asked for: the socket is out of step.
    if (this.closeAfter || pos < buf.length) this.socket.destroy();
    else this.origin.release(this);
    x.succeed({ status, body });
  }

  private failExchange(err: Error): void {
    const x = this.exchange;
    this.exchange = undefined;
    this.socket.destroy();
    if (x) { x.conn = undefined; x.fail(err); }
  }

  private onClose(): void {
    this.gone = true;
    const x = this.exchange;
    this.exchange = undefined;
    this.origin.forget(this);
    if (x && !x.done) {
      x.conn = undefined;
      if (this.state === BODY_CLOSE && !this.error) {
        // A close-delimited body ends here (a reset instead of a close may have cut it: an error).
        x.succeed({ status: this.status, body: this.keptText() });
      } else if (this.reused && !this.gotBytes && !x.retried) {
        // A reused socket the server closed as the request left (its idle
        // timeout) answered none of it: send it once more on a new socket,
        // in the slot this one freed. At-least-once delivery allows the rare
        // duplicate; failing would only postpone it to the delivery's retry.
        x.retried = true;
        this.origin.connect(x);
      } else {
        x.fail(this.error ?? new HttpAnswerError(this.closedWhy()));
      }
    }
    this.origin.pump();
  }

  private closedWhy(): string {
    switch (this.state) {
      case STATUS: return this.gotBytes ? 'connection closed in the middle of the status line' : 'connection closed before an answer';
      case HEADERS: return 'connection closed in the middle of the answer headers';
      case BODY_LENGTH: return `connection closed after ${this.contentLength - this.remaining} of ${this.contentLength} body bytes`;
      default: return 'connection closed in the middle of a chunked body';
    }
  }
}

/**
 * The requests waiting on each signal, behind one 'abort' listener. A
 * ChurnSet: a deadline guard's signal lives a second or more, and every
 * request of it passes through its set (src/churn-map.ts).
 */
const waiting = new WeakMap<AbortSignal, ChurnSet<(reason: Error) => void>>();

/**
 * Calls `cancel` with the abort reason if `signal` aborts before the returned
 * function is called. One listener per signal however many requests use it:
 * deliveries started together share their signal (the deadline guard), and
 * a listener per request passed Node's limit of 10 per signal (a
 * MaxListenersExceededWarning on stderr) with an add and remove each.
 */
export function whenAborted(signal: AbortSignal, cancel: (reason: Error) => void): () => void {
  let set = waiting.get(signal);
  if (!set) {
    const fresh = new ChurnSet<(reason: Error) => void>();
    set = fresh;
    waiting.set(signal, fresh);
    signal.addEventListener('abort', () => {
      waiting.delete(signal);
      const reason = abortReason(signal);
      for (const c of [...fresh]) c(reason);
    }, { once: true });
  }
  const mine = set;
  mine.add(cancel);
  return () => { mine.delete(cancel); };
}

/** What an aborted request fails with: the signal's reason (a TimeoutError or the shutdown's error). */
export function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new DOMException('This operation was aborted', 'AbortError') as Error;
}
