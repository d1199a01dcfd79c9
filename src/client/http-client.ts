/**
 * The Parley HTTP API (DESIGN.md Part 3) over the global `fetch`: requests signed with
 * RFC 9421 (`signRequest` from the protocol, keyid = the key pair's fingerprint), NDJSON
 * read page by page, and the SSE stream with reconnection from Last-Event-ID.
 * Usable by any holder of keys: participants, and auditors (audit command, export).
 */
import { ed25519Signer, b64uDecode, fingerprint, parseStrictJsonBytes, signRequest, Signer } from '../protocol';
import type { Envelope } from '../protocol';
import { ApiError, ServerUnreachableError, UnexpectedResponseError } from './errors';
import { ndjsonLines } from './ndjson';
import { MAX_RETRY_MS, SseMessage, SseParser } from './sse';

export const DEFAULT_SERVER = 'http://127.0.0.1:3000';
/** DESIGN.md Part 3: `limit` defaults to 1,000 and is capped at 10,000. */
export const DEFAULT_PAGE_SIZE = 1000;

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

export interface ParleyHttpClientOptions {
  server?: string;
  /** Needed for every signed call; not for GET /v1/notary and appends. */
  keys?: RequestKeys;
  fetch?: typeof fetch;
  /** Seconds since the epoch for `created` (tests fix it to reproduce the vectors). */
  now?: () => number;
  /** The single-use `nonce` of each signature (random by default). */
  nonce?: () => string;
}

/**
 * A server address as requests are built from it: an http or https URL, without trailing
 * slashes. Anything else (`127.0.0.1:3000`, say) throws here, naming the value, rather than
 * failing later as an unreachable server.
 */
export function serverUrl(value: string): string {
  let url: URL | null = null;
  try {
    url = new URL(value);
  } catch {
    // not a URL at all: the error below
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new TypeError(`the server must be an http:// or https:// URL (e.g. http://127.0.0.1:3000), not ${JSON.stringify(value)}`);
  }
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
}

export class ParleyHttpClient {
  readonly server: string;
  private readonly signer: Signer | null;
  private readonly keyid: string | null;
  private readonly fetchImpl: typeof fetch;
  private readonly now?: () => number;
  private readonly nonce?: () => string;

  constructor(options: ParleyHttpClientOptions = {}) {
    this.server = serverUrl(options.server ?? DEFAULT_SERVER);
    this.fetchImpl = options.fetch ?? fetch;
    this.now = options.now;
    this.nonce = options.nonce;
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

  /** POST an envelope. Refusals throw ApiError (409 carries `body.head`). */
  async append(env: Envelope): Promise<AppendResult> {
    const res = await this.send('POST', `/v1/channels/${env.channel}/events`, { signed: false, body: JSON.stringify(env) });
    const body = (await this.parseJson(res)) as Omit<AppendResult, 'status'>;
    return { ...body, status: res.status === 200 ? 200 : 201 };
  }

  head(channel: string): Promise<Head> {
    return this.json('GET', `/v1/channels/${channel}/head`);
  }

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
   * page comes back short.
   */
  async *events(channel: string, options: { from?: number; pageSize?: number } = {}): AsyncGenerator<LogLine> {
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
    return this.ndjson('/v1/export');
  }

  /**
   * The channel's live stream: catch-up from after `lastEventId`, then live. Reconnects
   * (with Last-Event-ID) when the connection drops or the server answers 5xx (restarting,
   * say), until `signal` aborts; `onConnection` hears each change between connected and not.
   */
  async *stream(channel: string, options: StreamOptions = {}): AsyncGenerator<SseMessage> {
    let lastEventId = options.lastEventId ?? null;
    let retryMs = options.retryMs ?? 1000;
    let connected: boolean | null = null;
    let failures = 0;
    const tell = (now: boolean, reason?: string, wait?: number) => {
      if (connected !== now && !options.signal?.aborted) options.onConnection?.(now ? { connected: true } : { connected: false, reason: reason!, retryMs: wait! });
      connected = now;
    };
    while (!options.signal?.aborted) {
      const parser = new SseParser();
      parser.lastEventId = lastEventId;
      let reason = 'the server ended the stream';
      try {
        const headers: Record<string, string> = { accept: 'text/event-stream' };
        if (lastEventId !== null) headers['last-event-id'] = lastEventId;
        const res = await this.send('GET', `/v1/channels/${channel}/stream`, { headers, signal: options.signal });
        tell(true);
        failures = 0;
        const decoder = new TextDecoder('utf-8', { fatal: true });
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          let text: string;
          try {
            text = decoder.decode(chunk, { stream: true });
          } catch {
            throw new UnexpectedResponseError('the event stream is not valid UTF-8');
          }
          for (const msg of parser.push(text)) yield msg;
          lastEventId = parser.lastEventId;
          if (parser.retryMs !== null) retryMs = parser.retryMs;
        }
      } catch (err) {
        if (options.signal?.aborted) return;
        // Refusals and broken data are final; a dropped connection or a 5xx is retried.
        if ((err instanceof ApiError && err.status < 500) || err instanceof UnexpectedResponseError) throw err;
        reason = err instanceof ApiError ? `${err.status} ${err.code}` : err instanceof ServerUnreachableError ? err.reason : (err as Error).message;
      }
      // Refused or unreachable again and again (a server at its stream limit, or down): wait
      // longer each time, up to a minute, with jitter, so that followers do not come back as one.
      const wait = Math.min(retryMs * 2 ** Math.min(failures++, 16), MAX_RETRY_MS);
      tell(false, reason, wait);
      await sleep(wait * (0.75 + Math.random() / 2), options.signal);
    }
  }

  private async *ndjson(target: string): AsyncGenerator<LogLine> {
    const res = await this.send('GET', target, { headers: { accept: 'application/x-ndjson' } });
    if (!res.body) return;
    for await (const raw of this.linesOf(res.body as unknown as AsyncIterable<Uint8Array>)) {
      let envelope: Envelope;
      try {
        envelope = parseStrictJsonBytes(raw) as unknown as Envelope;
      } catch (err) {
        throw new UnexpectedResponseError(`the server sent a line that is not strict JSON: ${(err as Error).message}`);
      }
      yield { raw, envelope };
    }
  }

  /** The body's lines; the connection dropping mid-body is the server unreachable, as before the answer. */
  private async *linesOf(body: AsyncIterable<Uint8Array>): AsyncGenerator<Buffer> {
    try {
      yield* ndjsonLines(body);
    } catch (err) {
      if (err instanceof UnexpectedResponseError) throw err;
      throw new ServerUnreachableError(this.server, err);
    }
  }

  private async json<T>(method: string, target: string, options: { signed?: boolean } = {}): Promise<T> {
    return (await this.parseJson(await this.send(method, target, options))) as T;
  }

  private async parseJson(res: Response): Promise<unknown> {
    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      throw new ServerUnreachableError(this.server, err); // the connection dropped mid-answer
    }
    try {
      return JSON.parse(text);
    } catch {
      throw new UnexpectedResponseError(`the answer is not JSON: ${foreignAnswer(res, text)}`);
    }
  }

  /** Sends one request (signed unless told otherwise); a non-2xx answer throws ApiError. Public for other API users (the auditor). */
  async send(
    method: string,
    target: string,
    options: { signed?: boolean; body?: string; headers?: Record<string, string>; signal?: AbortSignal } = {},
  ): Promise<Response> {
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
    let res: Response;
    try {
      res = await this.fetchImpl(this.server + target, { method, headers, body: options.body, signal: options.signal });
    } catch (err) {
      if ((err as Error).name === 'AbortError') throw err;
      throw new ServerUnreachableError(this.server, err);
    }
    if (res.ok) return res;
    const text = await res.text().catch(() => '');
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(text);
    } catch {
      // Not the contract's error shape (a proxy, say): report the status and the text.
    }
    const code = typeof body.error === 'string' ? body.error : `http_${res.status}`;
    const message = typeof body.message === 'string' ? body.message : foreignAnswer(res, text);
    throw new ApiError(res.status, code, message, body);
  }
}

/**
 * An answer that is not the contract's: its status and the gist of its text (an HTML page
 * reduced to its words), and the likely cause, instead of the raw markup.
 */
function foreignAnswer(res: Response, text: string): string {
  const gist = text.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 120);
  return `${res.status} ${res.statusText}, not an answer of a Parley server (is the server address right?)${gist ? `; it says: ${gist}` : ''}`;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    }, { once: true });
  });
}
