/**
 * The Parley HTTP API (DESIGN.md Part 3) over the global `fetch`: requests signed with
 * RFC 9421 (`signRequest` from the protocol, keyid = the key pair's fingerprint), NDJSON
 * read page by page, and the SSE stream with reconnection from Last-Event-ID.
 * Usable by any holder of keys: participants, and auditors (audit command, export).
 */
import { canonical, ed25519Signer, b64uDecode, fingerprint, isBlankLine, parseStrictJsonBytes, signRequest, Signer } from '../protocol';
import type { Envelope } from '../protocol';
import { ApiError, ServerTimeoutError, ServerUnreachableError, UnexpectedResponseError } from './errors';
import { MAX_NDJSON_LINE, ndjsonLines } from './ndjson';
import { MAX_RETRY_MS, SseMessage, SseParser } from './sse';

export const DEFAULT_SERVER = 'http://127.0.0.1:3000';
/** DESIGN.md Part 3: `limit` defaults to 1,000 and is capped at 10,000. */
export const DEFAULT_PAGE_SIZE = 1000;
/** How long a request may wait for its answer (and a JSON answer take to arrive whole, an NDJSON line to end). */
export const DEFAULT_TIMEOUT_MS = 60_000;
/** The largest JSON answer read: Parley's answers are far smaller; past it, a server is sending junk. */
export const DEFAULT_MAX_BODY_BYTES = 16 * 2 ** 20;
/** A live stream silent this long has lost its server: the server sends a heartbeat every 15 s. */
export const DEFAULT_STREAM_IDLE_MS = 45_000;

/** Whoever signs requests: the signing seed and the public keys for the fingerprint. */
export interface RequestKeys {
  signSeed: string;
  signKey: string;
  boxKey: string;
}

export interface AppendResult {
  seq: number;
  hash: string;
  position: string;
  /** 201 stored now, 200 an identical envelope was stored before. */
  status: 200 | 201;
}

export interface Head {
  seq: number;
  prev: string;
}

/** One stored envelope: the exact line as served, and its strict parse. */
export interface LogLine {
  raw: Buffer;
  envelope: Envelope;
}

/** A line as served, which may not be strict JSON (a store written past the service): then `envelope` is null and `problem` says why. */
export type ServedLine = LogLine | { raw: Buffer; envelope: null; problem: string };

export interface ParleyHttpClientOptions {
  server?: string;
  /** Needed for every signed call; not for GET /v1/notary and appends. */
  keys?: RequestKeys;
  fetch?: typeof fetch;
  /** Seconds since the epoch for `created` (tests fix it to reproduce the vectors). */
  now?: () => number;
  /** The single-use `nonce` of each signature (random by default). */
  nonce?: () => string;
  /**
   * The deadline of each request, in ms (default 60 s): for its answer to come and, for a JSON
   * answer, to end; for each line of an NDJSON answer (a page or an export may take longer
   * as a whole). A live stream has it for its answer only (then `idleMs`). Past it,
   * ServerTimeoutError (a ServerUnreachableError).
   */
  timeoutMs?: number;
  /** The largest JSON answer, or error answer, read (bytes; default 16 MiB). */
  maxBodyBytes?: number;
  /** The longest NDJSON or event-stream line read (default MAX_NDJSON_LINE, above the largest envelope a server may accept). */
  maxLineBytes?: number;
}

/**
 * What is wrong with `value` as a server address, as a predicate ("must be …"), or null: it
 * must be an http or https URL, and hold no query, fragment or credentials (request paths are
 * appended to it: a query or fragment would swallow them, and credentials in it would travel
 * with every request; requests are signed instead).
 */
export function serverUrlProblem(value: string): string | null {
  let url: URL | null = null;
  try {
    url = new URL(value);
  } catch {
    // not a URL at all
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) return 'must be an http:// or https:// URL';
  if (url.search || url.hash || url.username || url.password) return 'must hold no query, fragment or credentials';
  return null;
}

/**
 * Whether requests to `server` (a valid server URL) cross a network in clear: plain http to
 * a host that is not this machine's loopback. Bodies stay sealed end to end, but envelopes'
 * public meta (who sends which event when) and the signed reads do not.
 */
export function isPlainHttpToAnotherHost(server: string): boolean {
  const url = new URL(server);
  if (url.protocol !== 'http:') return false;
  const host = url.hostname.toLowerCase();
  const loopback = host === 'localhost' || host.endsWith('.localhost') || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
  return !loopback;
}

/**
 * A server address as requests are built from it: an http or https URL, without trailing
 * slashes. Anything else (`127.0.0.1:3000`, say) throws here, naming the value, rather than
 * failing later as an unreachable server.
 */
export function serverUrl(value: string): string {
  const problem = serverUrlProblem(value);
  if (problem) throw new TypeError(`the server ${problem} (e.g. http://127.0.0.1:3000), not ${JSON.stringify(value)}`);
  return value.replace(/\/+$/, '');
}

export interface StreamOptions {
  /** Resume after this event id (a seq): what a reconnect sends as Last-Event-ID. */
  lastEventId?: string | null;
  signal?: AbortSignal;
  /** Wait before reconnecting, until the server's `retry:` says otherwise (default 1 s). */
  retryMs?: number;
  /** Each change between connected and not; `retryMs`: the wait before the first new attempt (later ones wait longer). */
  onConnection?: (change: { connected: true } | { connected: false; reason: string; retryMs: number }) => void;
  /** A connection that brings nothing, not even a heartbeat, for this long (ms, default 45 s) is dropped and made again. */
  idleMs?: number;
}

export class ParleyHttpClient {
  readonly server: string;
  private readonly signer: Signer | null;
  private readonly keyid: string | null;
  private readonly fetchImpl: typeof fetch;
  private readonly now?: () => number;
  private readonly nonce?: () => string;
  private readonly timeoutMs: number;
  private readonly maxBodyBytes: number;
  private readonly maxLineBytes: number;

  constructor(options: ParleyHttpClientOptions = {}) {
    this.server = serverUrl(options.server ?? DEFAULT_SERVER);
    this.fetchImpl = options.fetch ?? fetch;
    this.now = options.now;
    this.nonce = options.nonce;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.maxLineBytes = options.maxLineBytes ?? MAX_NDJSON_LINE;
    if (options.keys) {
      const seed = b64uDecode(options.keys.signSeed, 32);
      if (!seed) throw new Error('keys.signSeed must be a 32-byte b64u seed');
      this.signer = ed25519Signer(seed);
      this.keyid = fingerprint(options.keys);
    } else {
      this.signer = null;
      this.keyid = null;
    }
  }

  notary(): Promise<{ signKey: string }> {
    return this.json('GET', '/v1/notary', { signed: false });
  }

  /** POST an envelope, in canonical form (as the server stores it). Refusals throw ApiError (409 carries `body.head`). */
  async append(env: Envelope): Promise<AppendResult> {
    const { status, body } = await this.call('POST', `/v1/channels/${env.channel}/events`, { signed: false, body: canonical(env) });
    return { ...(body as Omit<AppendResult, 'status'>), status: status === 200 ? 200 : 201 };
  }

  head(channel: string): Promise<Head> {
    return this.json('GET', `/v1/channels/${channel}/head`);
  }

  /**
   * The server's read models and its own audit, as it answers them: nothing here is verified.
   * To rely on them, check them against a log verified here (ChannelSession.sync; the CLI's
   * status compares the server's lists with the rows of its verified views).
   */
  state(channel: string): Promise<Record<string, unknown>> {
    return this.json('GET', `/v1/channels/${channel}/state`);
  }

  audit(channel: string): Promise<{ ok: boolean; events: number; head: string; violations: { seq: number; code: string; message: string }[] }> {
    return this.json('GET', `/v1/channels/${channel}/audit`);
  }

  requests(status = 'open'): Promise<{ items: Record<string, unknown>[] }> {
    return this.json('GET', `/v1/requests?status=${encodeURIComponent(status)}`);
  }

  reunifications(): Promise<{ items: Record<string, unknown>[] }> {
    return this.json('GET', '/v1/reunifications');
  }

  /**
   * A channel's envelopes from seq `from` on, page by page (`limit` per request) until a
   * page comes back short: strictly parsed, not verified (ChannelSession.sync, or a
   * LogVerifier, verifies them).
   */
  async *events(channel: string, options: { from?: number; pageSize?: number } = {}): AsyncGenerator<LogLine> {
    yield* strictly(this.servedEvents(channel, options));
  }

  /** As events, but a line that is not strict JSON is yielded too, as served (for export, which hands the auditor what the server serves). */
  async *servedEvents(channel: string, options: { from?: number; pageSize?: number } = {}): AsyncGenerator<ServedLine> {
    const limit = options.pageSize ?? DEFAULT_PAGE_SIZE;
    let from = options.from ?? 0;
    for (;;) {
      let count = 0;
      for await (const line of this.ndjson(`/v1/channels/${channel}/events?from=${from}&limit=${limit}`)) {
        count++;
        yield line;
      }
      if (count < limit) return;
      from += count;
    }
  }

  /** GET /v1/export: every channel in global order (a global auditor's key). */
  exportAll(): AsyncGenerator<LogLine> {
    return strictly(this.servedExport());
  }

  /** As exportAll, lines that are not strict JSON included (see servedEvents). */
  servedExport(): AsyncGenerator<ServedLine> {
    return this.ndjson('/v1/export');
  }

  /**
   * The channel's live stream: catch-up from after `lastEventId`, then live. Reconnects
   * (with Last-Event-ID) when the connection drops, falls silent (`idleMs`) or the server
   * answers 5xx (restarting, say), until `signal` aborts; `onConnection` hears each change
   * between connected and not. A redirect, a 4xx or broken data is final. The messages are
   * as served, unverified: ChannelSession.follow verifies each event.
   */
  async *stream(channel: string, options: StreamOptions = {}): AsyncGenerator<SseMessage> {
    const idleMs = options.idleMs ?? DEFAULT_STREAM_IDLE_MS;
    let lastEventId = options.lastEventId ?? null;
    let retryMs = options.retryMs ?? 1000;
    let connected: boolean | null = null;
    let failures = 0;
    const tell = (now: boolean, reason?: string, wait?: number) => {
      if (connected !== now && !options.signal?.aborted) options.onConnection?.(now ? { connected: true } : { connected: false, reason: reason!, retryMs: wait! });
      connected = now;
    };
    while (!options.signal?.aborted) {
      const parser = new SseParser(this.maxLineBytes);
      parser.lastEventId = lastEventId;
      let reason = 'the server ended the stream';
      let delivered = false;
      let openedAt: number | null = null;
      // For the answer, the request's deadline; then, between chunks, the silence a live stream may keep.
      const deadline = new Deadline(this.timeoutMs, 'no answer', options.signal);
      try {
        const headers: Record<string, string> = { accept: 'text/event-stream' };
        if (lastEventId !== null) headers['last-event-id'] = lastEventId;
        const res = await this.exchange('GET', `/v1/channels/${channel}/stream`, { headers, retryUnavailable: false }, deadline);
        tell(true);
        openedAt = Date.now();
        const decoder = new TextDecoder('utf-8', { fatal: true });
        for await (const chunk of this.chunksOf(res, deadline, idleMs)) {
          let text: string;
          try {
            text = decoder.decode(chunk, { stream: true });
          } catch {
            throw new UnexpectedResponseError('the event stream is not valid UTF-8');
          }
          for (const msg of parser.push(text)) {
            // The id is what a reconnect sends back as Last-Event-ID: Parley's are seqs (an
            // empty one, which SSE allows, resets it: a reconnect then starts over).
            if (msg.id !== null && msg.id !== '' && !/^\d{1,15}$/.test(msg.id)) {
              throw new UnexpectedResponseError(`the stream sent an event id that is not a seq: ${JSON.stringify(msg.id.slice(0, 40))}`);
            }
            delivered = true;
            yield msg;
          }
          lastEventId = parser.lastEventId;
          if (parser.retryMs !== null) retryMs = parser.retryMs;
        }
      } catch (err) {
        if (options.signal?.aborted) return;
        // Refusals and broken data are final; a dropped connection or a 5xx is retried.
        if ((err instanceof ApiError && err.status < 500) || err instanceof UnexpectedResponseError) throw err;
        reason = err instanceof ApiError ? `${err.status} ${err.code}` : err instanceof ServerUnreachableError ? err.reason : (err as Error).message;
      } finally {
        deadline.dispose();
      }
      // Only a connection that served (an event, or a minute of heartbeats) starts the waits
      // afresh: one that the server ends at once, again and again, must not become a loop.
      if (delivered || (openedAt !== null && Date.now() - openedAt >= MAX_RETRY_MS)) failures = 0;
      // Refused or unreachable again and again (a server at its stream limit, or down): wait
      // longer each time, up to a minute, with jitter, so that followers do not come back as one.
      const wait = Math.min(retryMs * 2 ** Math.min(failures++, 16), MAX_RETRY_MS);
      tell(false, reason, wait);
      await sleep(wait * (0.75 + Math.random() / 2), options.signal);
    }
  }

  /**
   * A live stream's body, chunk by chunk, each within `idleMs` of the one before (the time
   * the caller takes between chunks not counted); a silence longer than that, or the
   * connection dropping, is a ServerUnreachableError.
   */
  private async *chunksOf(res: Response, deadline: Deadline, idleMs: number): AsyncGenerator<Uint8Array> {
    deadline.restart(idleMs, 'nothing, not even a heartbeat,');
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        deadline.stop();
        yield chunk;
        deadline.restart();
      }
    } catch (err) {
      throw this.failure(err, deadline);
    }
  }

  /** An NDJSON answer's lines, each strictly parsed if it can be; each line has the request's deadline (the caller's time between lines not counted). */
  private async *ndjson(target: string): AsyncGenerator<ServedLine> {
    // Empty lines kept: each is a row of the page (paging counts rows), and a store row whose text is gone.
    for await (const raw of ndjsonLines(this.ndjsonBytes(target), this.maxLineBytes, { keepEmpty: true })) {
      yield isBlankLine(raw) ? { raw, envelope: null, problem: 'the server sent a blank line where an event should stand' } : parsedLine(raw);
    }
  }

  /**
   * A signed GET of NDJSON, as the bytes served (the auditor audits them as they are; ndjson
   * splits and parses them for everyone else): each
   * line within the request's deadline (`timeoutMs`) of the one before, the caller's time
   * after a line not counted. A server that stalls mid-body, or trickles bytes that never end
   * a line, is a ServerTimeoutError; the connection dropping, ServerUnreachableError.
   */
  async *ndjsonBytes(target: string): AsyncGenerator<Uint8Array> {
    const deadline = new Deadline(this.timeoutMs, 'no answer');
    let body: ReadableStream<Uint8Array> | null = null;
    let done = false;
    try {
      const res = await this.exchange('GET', target, { headers: { accept: 'application/x-ndjson' } }, deadline);
      body = res.body;
      if (!body) return;
      // A web page where a log should be (a wrong address, a proxy's login page): said as
      // such, not as a first line that is not JSON.
      if (/^text\/html\b/i.test(res.headers.get('content-type') ?? '')) {
        const page = await readBounded(res, 64 * 1024).catch(() => null);
        throw new UnexpectedResponseError(foreignAnswer(res, page ?? ''));
      }
      deadline.restart(this.timeoutMs, 'no answer, or no next line,');
      try {
        for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
          // Bytes that end no line leave the clock running: only a whole line earns more time.
          if (chunk.indexOf(0x0a) < 0) {
            yield chunk;
            continue;
          }
          deadline.stop();
          yield chunk;
          deadline.restart();
        }
      } catch (err) {
        throw this.failure(err, deadline);
      }
      done = true;
    } finally {
      deadline.dispose();
      // Left early (the caller stopped reading): close the connection rather than leave it to the collector.
      if (body && !done) await body.cancel().catch(() => undefined);
    }
  }

  private async json<T>(method: string, target: string, options: { signed?: boolean } = {}): Promise<T> {
    return (await this.call(method, target, options)).body as T;
  }

  /** One request and its whole JSON answer, within the request's deadline. */
  private async call(method: string, target: string, options: RequestOptions): Promise<{ status: number; body: unknown }> {
    const deadline = new Deadline(this.timeoutMs, 'no answer', options.signal);
    try {
      const res = await this.exchange(method, target, options, deadline);
      deadline.what = 'no complete answer';
      let text: string | null;
      try {
        text = await readBounded(res, this.maxBodyBytes);
      } catch (err) {
        throw this.failure(err, deadline); // the connection dropped, or stalled, mid-answer
      }
      if (text === null) throw new UnexpectedResponseError(`the answer is longer than ${bytes(this.maxBodyBytes)}, the most the client reads: not an answer of a Parley server (is the server address right?)`);
      try {
        return { status: res.status, body: JSON.parse(text) };
      } catch {
        throw new UnexpectedResponseError(`the answer is not JSON: ${foreignAnswer(res, text)}`);
      }
    } finally {
      deadline.dispose();
    }
  }

  /**
   * Sends one request (signed unless told otherwise); a non-2xx answer throws ApiError. Public
   * for other API users (the auditor). The client's deadline (`timeoutMs`) holds until the
   * answer's status and headers (and an error's body); reading a 2xx body is the caller's.
   */
  async send(method: string, target: string, options: RequestOptions = {}): Promise<Response> {
    const deadline = new Deadline(this.timeoutMs, 'no answer', options.signal);
    try {
      return await this.exchange(method, target, options, deadline);
    } finally {
      deadline.stop(); // not dispose: the caller's signal must still abort the body
    }
  }

  /**
   * One request under `deadline`. Redirects are not followed: the signed request would go to
   * whatever server a 3xx names, and that server's answer be taken for this one's.
   */
  private async exchange(method: string, target: string, options: RequestOptions, deadline: Deadline): Promise<Response> {
    // A read answered 503 (the store unreachable for a moment, a full disk being cleared) is
    // asked again after its Retry-After, signed afresh, for up to READ_RETRY_MS.
    // Within half the request's own time limit: the 503 itself, not a timeout, is what the caller then hears.
    const retryUntil = method === 'GET' && options.retryUnavailable !== false ? Date.now() + Math.min(READ_RETRY_MS, this.timeoutMs / 2) : 0;
    for (;;) {
      const res = await this.fetchOnce(method, target, options, deadline);
      if (res.status === 503 && Date.now() < retryUntil) {
        const wait = retryAfterMs(res.headers.get('retry-after'));
        if (Date.now() + wait < retryUntil) {
          await res.body?.cancel().catch(() => undefined);
          await sleep(wait, deadline.signal); // an abort ends the wait; the next fetch then fails on it
          continue;
        }
      }
      return this.accepted(res);
    }
  }

  private async fetchOnce(method: string, target: string, options: RequestOptions, deadline: Deadline): Promise<Response> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (options.signed !== false) {
      if (!this.signer || !this.keyid) throw new Error(`${method} ${target} must be signed: the client has no keys`);
      const signed = signRequest({
        method,
        target,
        body: options.body,
        keyid: this.keyid,
        signer: this.signer,
        created: this.now?.(),
        nonce: this.nonce?.(),
      });
      Object.assign(headers, signed);
    }
    try {
      return await this.fetchImpl(this.server + target, { method, headers, body: options.body, signal: deadline.signal, redirect: 'manual' });
    } catch (err) {
      throw this.failure(err, deadline);
    }
  }

  /** A 2xx answer as it is; anything else thrown as ApiError. */
  private async accepted(res: Response): Promise<Response> {
    if (res.ok) return res;
    if (res.status >= 300 && res.status < 400) {
      await res.body?.cancel().catch(() => undefined);
      throw new ApiError(res.status, `http_${res.status}`, redirectAnswer(res));
    }
    throw await this.errorAnswer(res);
  }

  /** A non-2xx answer as ApiError: the contract's `{ error, message }`, or the status and gist of whatever else. */
  private async errorAnswer(res: Response): Promise<ApiError> {
    // A body that does not come in time, or at all, still leaves the status to report.
    const text = await readBounded(res, this.maxBodyBytes).catch(() => '');
    if (text === null) {
      const message = `${res.status} ${res.statusText}, with a body longer than ${bytes(this.maxBodyBytes)} (the most the client reads): not an answer of a Parley server`;
      return new ApiError(res.status, `http_${res.status}`, message);
    }
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(text);
    } catch {
      // Not the contract's error shape (a proxy, say): report the status and the text.
    }
    const code = typeof body.error === 'string' ? body.error : `http_${res.status}`;
    const message = typeof body.message === 'string' ? body.message : foreignAnswer(res, text);
    return new ApiError(res.status, code, message, body);
  }

  /** What a failed fetch or body read means: the caller's abort, our deadline, or the server out of reach. */
  private failure(err: unknown, deadline: Deadline): Error {
    if (deadline.expired) return new ServerTimeoutError(this.server, deadline.ms, deadline.what);
    if (err instanceof UnexpectedResponseError || (err as Error).name === 'AbortError') return err as Error;
    return new ServerUnreachableError(this.server, err);
  }
}

interface RequestOptions {
  signed?: boolean;
  body?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** A GET answered 503 is asked again (READ_RETRY_MS) unless false: the live stream has its own reconnecting. */
  retryUnavailable?: boolean;
}

/** How long a read answered 503 is asked again. */
export const READ_RETRY_MS = 30_000;

/** Retry-After in seconds (RFC 9110), kept between 1 and 5 s; 1 s when absent or a date. */
function retryAfterMs(value: string | null): number {
  const seconds = value !== null && /^\d{1,6}$/.test(value) ? Number(value) : 1;
  return Math.min(Math.max(seconds, 1), 5) * 1000;
}

/**
 * A request's time limit: aborts its fetch, and so the reading of its body, once `ms` pass
 * without a `restart`. `what` says what did not come in time. The caller's signal aborts it too.
 */
class Deadline {
  private readonly controller = new AbortController();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly forward: (() => void) | null = null;
  expired = false;

  constructor(
    public ms: number,
    public what: string,
    private readonly outer?: AbortSignal,
  ) {
    if (outer?.aborted) this.controller.abort(outer.reason);
    else if (outer) {
      this.forward = () => this.controller.abort(outer.reason);
      outer.addEventListener('abort', this.forward, { once: true });
    }
    this.restart();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Starts the wait again (for `ms` and `what` from now on, if given). */
  restart(ms = this.ms, what = this.what): void {
    this.ms = ms;
    this.what = what;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.expired = true;
      this.controller.abort();
    }, ms);
  }

  /** No limit until the next restart: the caller's own time is not the server's. */
  stop(): void {
    clearTimeout(this.timer);
  }

  /** Done with the request: no timer, and nothing left listening on the caller's signal. */
  dispose(): void {
    this.stop();
    if (this.forward) this.outer?.removeEventListener('abort', this.forward);
  }
}

/**
 * A whole body as text, reading at most `limit` bytes: null past it, the connection then
 * cancelled rather than read on (an endless body must not grow the client without end).
 */
async function readBounded(res: Response, limit: number): Promise<string | null> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      return null;
    }
    parts.push(value);
  }
  return new TextDecoder().decode(Buffer.concat(parts, size));
}

function bytes(n: number): string {
  return n % 2 ** 20 === 0 ? `${n / 2 ** 20} MiB` : `${n} bytes`;
}

/** A 3xx, named with where it points (cut short: it is the server's text). */
function redirectAnswer(res: Response): string {
  const location = (res.headers.get('location') ?? '').slice(0, 200);
  return `${res.status} ${res.statusText}, a redirect${location ? ` to ${location}` : ''}: not followed, since the signed request would go to another server and its answer be taken for this one's; if that is the right server, use its address`;
}

/**
 * An answer that is not the contract's: its status and the gist of its text (an HTML page
 * reduced to its words), and the likely cause, instead of the raw markup.
 */
function foreignAnswer(res: Response, text: string): string {
  const gist = text.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 120);
  return `${res.status} ${res.statusText}, not an answer of a Parley server (is the server address right?)${gist ? `; it says: ${gist}` : ''}`;
}

/** Resolves after `ms`, or at once when `signal` aborts; leaves no listener on `signal` either way. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const aborted = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', aborted);
      resolve();
    }, ms);
    signal?.addEventListener('abort', aborted, { once: true });
  });
}

/** A served line with its strict parse, or why it has none. */
function parsedLine(raw: Buffer): ServedLine {
  try {
    return { raw, envelope: parseStrictJsonBytes(raw) as unknown as Envelope };
  } catch (err) {
    return { raw, envelope: null, problem: `the server sent a line that is not strict JSON: ${(err as Error).message}` };
  }
}

/** The lines of a log, each strictly parsed (blank ones skipped): one that is not ends the log with UnexpectedResponseError. */
async function* strictly(lines: AsyncIterable<ServedLine>): AsyncGenerator<LogLine> {
  for await (const line of lines) {
    if (line.envelope === null && isBlankLine(line.raw)) continue;
    if (line.envelope === null) throw new UnexpectedResponseError(line.problem);
    yield line;
  }
}
