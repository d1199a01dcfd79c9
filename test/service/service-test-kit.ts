/** HTTP helpers for the service tests: raw posts (for bad input), signed requests, SSE collection, store reads. */
import { ParleyHttpClient } from '../../src/client';
import { b64uDecode, ed25519Signer, fingerprint, signRequest } from '../../src/protocol';
import { channelStream, type EventStore, StreamNotFoundError } from '../../src/store/event-store.port';

export interface Keys {
  signSeed: string;
  signKey: string;
  boxKey: string;
}

export interface Answer {
  status: number;
  contentType: string | null;
  retryAfter: string | null;
  text: string;
  json: any;
}

async function answer(res: Response): Promise<Answer> {
  const text = await res.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    // NDJSON, SSE or empty
  }
  return { status: res.status, contentType: res.headers.get('content-type'), retryAfter: res.headers.get('retry-after'), text, json };
}

/** POSTs exactly `body` (a string is sent as is, bytes and all). */
export async function post(url: string, channel: string, body: string | object, headers: Record<string, string> = {}): Promise<Answer> {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return answer(await fetch(`${url}/v1/channels/${channel}/events`, { method: 'POST', body: text, headers: { 'content-type': 'application/json', ...headers } }));
}

export interface SignOptions {
  created?: number;
  nonce?: string;
  /** Changes the headers after signing (to forge or break them). */
  tamper?: (headers: Record<string, string>) => void;
  headers?: Record<string, string>;
}

/** The signature headers of a GET of `target` by `keys` (RFC 9421 with src/protocol's signRequest). */
export function signedGetHeaders(target: string, keys: Keys, options: Pick<SignOptions, 'created' | 'nonce'> = {}): Record<string, string> {
  return signRequest({
    method: 'GET',
    target,
    keyid: fingerprint(keys),
    signer: ed25519Signer(b64uDecode(keys.signSeed, 32)!),
    created: options.created,
    nonce: options.nonce,
  });
}

/** A GET signed as `keys`, its answer read whole. */
export async function signedGet(url: string, target: string, keys: Keys, options: SignOptions = {}): Promise<Answer> {
  const headers = signedGetHeaders(target, keys, options);
  options.tamper?.(headers);
  return answer(await fetch(url + target, { headers: { ...headers, ...options.headers } }));
}

export function client(url: string, keys?: Keys): ParleyHttpClient {
  return new ParleyHttpClient({ server: url, keys });
}

/** The first `count` SSE messages of a channel's stream (the SDK's reader), or fails after `timeoutMs`. */
export async function collectSse(
  sdk: ParleyHttpClient,
  channel: string,
  count: number,
  options: { lastEventId?: string; timeoutMs?: number; onOpen?: () => void } = {},
): Promise<{ id: string | null; event: string; data: string }[]> {
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(), options.timeoutMs ?? 10_000);
  const got: { id: string | null; event: string; data: string }[] = [];
  try {
    for await (const m of sdk.stream(channel, { lastEventId: options.lastEventId ?? null, signal: stop.signal })) {
      got.push(m);
      if (got.length === count) break;
    }
  } finally {
    clearTimeout(timer);
    stop.abort();
  }
  if (got.length < count) throw new Error(`SSE gave ${got.length} of ${count} messages in time`);
  return got;
}

/** What the store holds for a channel, read directly (to prove that nothing else was stored). */
export async function storedLines(store: EventStore, channel: string): Promise<string[]> {
  try {
    return (await store.readStream(channelStream(channel), 0, 100_000)).map((e) => e.data);
  } catch (err) {
    if (err instanceof StreamNotFoundError) return [];
    throw err;
  }
}

export async function allStored(store: EventStore): Promise<number> {
  let n = 0;
  let from: string | undefined;
  for (;;) {
    const page = await store.readAll(from, 1000);
    n += page.length;
    if (page.length < 1000) return n;
    from = page[page.length - 1].position;
  }
}
