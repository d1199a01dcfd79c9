/**
 * Fuzz: thousands of generated bad requests (fast-check) against a real server process over
 * keep-alive HTTP — malformed, truncated and non-UTF-8 bodies, wrong types, huge and deeply
 * nested values, duplicate keys, one-character mutations of the next valid envelope, valid
 * envelopes posted to the wrong channel or path, and signed reads with forged, expired,
 * mangled or replayed signatures. Not one 5xx, no 2xx, no crash; afterwards the global log
 * holds exactly what it held before plus the valid appends made in between.
 */
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { b64uDecode, canonical, ed25519Signer, fingerprint, generateIdentity, signRequest } from '../../src/protocol';
import { post } from '../service/service-test-kit';
import { exportLog, negotiators, param, report, spawnedServerFor, storeKinds, TestChannel } from './reliability-kit';

const REQUESTS = param('FUZZ', 10_000, 50_000);
const BATCH = 1000;
const CONCURRENCY = 16;
const REFUSALS = [400, 401, 404, 409, 413, 422];

jest.setTimeout(60_000 + REQUESTS * 10);

interface BadRequest {
  kind: string;
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
}

const postTo = (channel: string, body: string | Buffer, kind: string): BadRequest => ({
  kind,
  method: 'POST',
  path: `/v1/channels/${channel}/events`,
  headers: { 'content-type': 'application/json' },
  body,
});

/** A string of JSON text with one value replaced (found by its key) — wrong types, huge values. */
function replaceValue(text: string, key: string, value: string): string {
  const obj = JSON.parse(text) as Record<string, unknown>;
  const marker = '"__fuzz_marker__"';
  obj[key] = '__fuzz_marker__';
  return JSON.stringify(obj).replace(marker, value);
}

const ENVELOPE_KEYS = ['v', 'id', 'channel', 'seq', 'prev', 'type', 'sender', 'at', 'meta', 'body', 'sig', 'extra'];

/** Bad requests around `next`, the text of the envelope the channel would accept now. */
function badRequests(a: TestChannel, b: TestChannel, next: string, usedNonces: string[]): fc.Arbitrary<BadRequest> {
  const channel = a.id;
  const reader = a.n.keys(a.writers[0]);
  const stranger = generateIdentity();
  const jsonText = fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v) ?? 'null');
  const signed = (keys: typeof reader, target: string, options: { created?: number; nonce?: string } = {}) =>
    signRequest({ method: 'GET', target, keyid: fingerprint(keys), signer: ed25519Signer(b64uDecode(keys.signSeed, 32)!), ...options });
  const getTarget = fc.constantFrom(`/v1/channels/${channel}/head`, `/v1/channels/${channel}/events`, `/v1/channels/${channel}/state`, '/v1/requests', '/v1/export');

  return fc.oneof(
    // Malformed: arbitrary text, arbitrary bytes (often not UTF-8), JSON that is no envelope.
    fc.string({ maxLength: 300 }).map((s) => postTo(channel, s, 'malformed text')),
    fc.uint8Array({ minLength: 1, maxLength: 300 }).map((bytes) => postTo(channel, Buffer.from(bytes), 'random bytes')),
    jsonText.map((s) => postTo(channel, s, 'json, not an envelope')),
    // Truncated: the valid envelope cut anywhere.
    fc.nat({ max: next.length - 1 }).map((cut) => postTo(channel, next.slice(0, cut), 'truncated')),
    // Wrong types and extra keys.
    fc.tuple(fc.constantFrom(...ENVELOPE_KEYS), jsonText).map(([key, value]) => postTo(channel, replaceValue(next, key, value), 'wrong type')),
    // Huge values (over and under the 1 MiB envelope limit) and deep nesting.
    // One kind in twenty, all three together: each costs the server a megabyte or a deep parse.
    fc.oneof(
      fc.tuple(fc.constantFrom('sig', 'meta', 'type', 'extra'), fc.constantFrom(200_000, 900_000, 1_100_000)).map(([key, size]) =>
        postTo(channel, replaceValue(next, key, JSON.stringify('A'.repeat(size))), 'huge value'),
      ),
      fc.tuple(fc.constantFrom('[', '{"a":'), fc.integer({ min: 1_000, max: 200_000 })).map(([open, depth]) =>
        postTo(channel, replaceValue(next, 'meta', open.repeat(depth) + '1' + (open === '[' ? ']' : '}').repeat(depth)), 'deep value'),
      ),
      fc.integer({ min: 1_000, max: 300_000 }).map((depth) => postTo(channel, '['.repeat(depth), 'deep unclosed')),
    ),
    // Duplicate keys, in front and at the end.
    fc.constantFrom(...ENVELOPE_KEYS.slice(0, 11)).map((key) => {
      const value = JSON.stringify((JSON.parse(next) as Record<string, unknown>)[key]);
      return postTo(channel, `{"${key}":${value},${next.slice(1)}`, 'duplicate key');
    }),
    fc.constantFrom('seq', 'sender', 'sig').map((key) => postTo(channel, `${next.slice(0, -1)},"${key}":0}`, 'duplicate key at end')),
    // One character of the valid envelope changed to another.
    fc.tuple(fc.nat({ max: next.length - 1 }), fc.integer({ min: 0x20, max: 0x7e })).map(([at, code]) => {
      const ch = String.fromCharCode(code === next.charCodeAt(at) ? (code === 0x7e ? 0x20 : code + 1) : code);
      return postTo(channel, next.slice(0, at) + ch + next.slice(at + 1), 'mutated');
    }),
    // The valid envelope to another channel, to an unknown one, to a path that is no uuid.
    fc.constant(postTo(b.id, next, 'wrong channel')),
    fc.constant(null).map(() => postTo(randomUUID(), next, 'unknown channel')),
    fc.string({ minLength: 1, maxLength: 40 }).map((s) => postTo(encodeURIComponent(s), next, 'bad channel path')),
    // Signed reads: no signature, garbage headers, a stranger, a forged or retargeted signature, expired, replayed.
    getTarget.map((target) => ({ kind: 'unsigned read', method: 'GET' as const, path: target, headers: {} })),
    fc.tuple(getTarget, fc.string({ maxLength: 200 }), fc.string({ maxLength: 200 })).map(([target, input, sig]) => ({
      kind: 'garbage signature',
      method: 'GET' as const,
      path: target,
      headers: { 'signature-input': input, signature: sig },
    })),
    getTarget.map((target) => ({ kind: 'stranger', method: 'GET' as const, path: target, headers: signed(stranger, target) })),
    fc.tuple(getTarget, fc.nat({ max: 85 })).map(([target, at]) => {
      const headers = signed(reader, target);
      const sig = headers.signature;
      // Within the first 80 base64 characters: every bit there is signature (the last ones hold padding bits).
      const i = 6 + (at % 80);
      headers.signature = sig.slice(0, i) + (sig[i] === 'A' ? 'B' : 'A') + sig.slice(i + 1);
      return { kind: 'forged signature', method: 'GET' as const, path: target, headers };
    }),
    getTarget.map((target) => ({ kind: 'retargeted', method: 'GET' as const, path: `${target}?from=1`, headers: signed(reader, target) })),
    fc.tuple(getTarget, fc.constantFrom(-100_000, -400, 400, 100_000)).map(([target, skew]) => ({
      kind: 'expired or future',
      method: 'GET' as const,
      path: target,
      headers: signed(reader, target, { created: Math.floor(Date.now() / 1000) + skew }),
    })),
    fc.tuple(getTarget, fc.constantFrom(...usedNonces)).map(([target, nonce]) => ({
      kind: 'replayed nonce',
      method: 'GET' as const,
      path: target,
      headers: signed(reader, target, { nonce }),
    })),
  );
}

async function send(url: string, r: BadRequest): Promise<number> {
  const res = await fetch(url + r.path, { method: r.method, headers: r.headers, body: r.body });
  await res.arrayBuffer();
  return res.status;
}

describe.each(storeKinds())('fuzzing a running server on %s', (kind) => {
  const suite = spawnedServerFor(kind);

  it('given many bodies over the limit sent at once, then each client reads its 413: none is cut off mid-upload', async () => {
    // Answered before the upload ends, the connection was reset under the client, which saw
    // a failed request instead of the 413 (13 of 80 here).
    const path = `/v1/channels/${randomUUID()}/events`;
    const answers: (number | string)[] = [];
    for (let round = 0; round < 5; round++) {
      const sizes = [1_100_000, 2_000_000, 1_050_000, 5_000_000, 1_100_000, 2_000_000, 1_050_000, 5_000_000];
      const body = (size: number) => `{"pad":"${'A'.repeat(size)}"}`;
      const sent = sizes.map((size) =>
        send(suite.server.url, { kind: 'too large', method: 'POST', path, headers: { 'content-type': 'application/json' }, body: body(size) }).catch(
          (err: Error) => `no answer: ${err.message}`,
        ),
      );
      answers.push(...(await Promise.all(sent)));
    }
    expect(answers).toEqual(Array(40).fill(413));
  });

  it(`given ${REQUESTS} generated bad requests, then none answers 5xx or 2xx, the server lives, and only the valid appends are stored`, async () => {
    const { server, notarySeed, auditor } = suite;
    const a = await TestChannel.open(server.url, notarySeed, negotiators(1));
    const b = await TestChannel.open(server.url, notarySeed, negotiators(1));
    const before = await exportLog(server.url, auditor);
    const valid: string[] = [];
    // Nonces of reads that were accepted: their replays must be refused.
    const usedNonces: string[] = [];
    for (let i = 0; i < 4; i++) {
      const nonce = `fuzz-used-${i}-${randomUUID()}`;
      const target = `/v1/channels/${a.id}/head`;
      const keys = a.n.keys(a.writers[0]);
      const headers = signRequest({ method: 'GET', target, keyid: fingerprint(keys), signer: ed25519Signer(b64uDecode(keys.signSeed, 32)!), nonce });
      expect(await send(server.url, { kind: 'valid', method: 'GET', path: target, headers })).toBe(200);
      usedNonces.push(nonce);
    }

    const seed = Number(process.env.PARLEY_FUZZ_SEED ?? Date.now() % 2 ** 31);
    const statuses = new Map<string, Map<number, number>>();
    const failures: { kind: string; status: number | string; path: string; body?: string; signatureInput?: string }[] = [];
    const started = Date.now();
    for (let done = 0, batch = 0; done < REQUESTS; batch++) {
      // The next valid envelope changes after every batch, so mutations stay close to something acceptable.
      const nextEnv = a.n.build(a.writers[batch % a.writers.length], 'MessagePosted', { audience: ['ru', 'ua', 'us'] }, { text: `valid ${batch}` });
      const next = JSON.stringify(nextEnv);
      const count = Math.min(BATCH, REQUESTS - done);
      // Generated just before they are sent: `created` and the envelope's head are of this moment.
      const requests = fc.sample(badRequests(a, b, next, usedNonces), { numRuns: count, seed: seed + batch });
      let cursor = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (cursor < requests.length) {
            const r = requests[cursor++];
            let status: number | string;
            try {
              status = await send(server.url, r);
            } catch (err) {
              status = `no answer: ${(err as Error).message}`;
            }
            const byKind = statuses.get(r.kind) ?? new Map<number, number>();
            statuses.set(r.kind, byKind);
            if (typeof status === 'number') byKind.set(status, (byKind.get(status) ?? 0) + 1);
            if (typeof status !== 'number' || !REFUSALS.includes(status)) {
              const body = r.body === undefined ? undefined : r.body.slice(0, 200).toString();
              failures.push({ kind: r.kind, status, path: r.path.slice(0, 100), body, signatureInput: r.headers['signature-input']?.slice(0, 120) });
            }
          }
        }),
      );
      done += count;
      const res = await post(server.url, a.id, nextEnv);
      expect(res.status).toBe(201);
      a.n.apply(nextEnv);
      valid.push(canonical(nextEnv)); // the server stores the canonical form
    }
    const seconds = (Date.now() - started) / 1000;

    expect({ seed, failures: failures.slice(0, 20), count: failures.length }).toEqual({ seed, failures: [], count: 0 });
    expect(server.child.exitCode).toBeNull();
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    const after = await exportLog(server.url, auditor);
    expect(after).toEqual([...before, ...valid]);

    const byKind = Object.fromEntries([...statuses].map(([k, m]) => [k, Object.fromEntries(m)]));
    report(`fuzz-${kind}`, { requests: REQUESTS, seconds: Math.round(seconds * 10) / 10, seed, byKind: JSON.stringify(byKind) });
  });
});
