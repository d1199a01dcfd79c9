/**
 * Slow consumers: an SSE subscriber on a raw socket that sends its request and never reads
 * again. While far more data is appended to its channel than the memory bound allows, the
 * server's RSS (/proc/<pid>/status) stays within +100 MB — it stops reading the store for
 * that client instead of buffering — a healthy subscriber on the same channel still gets
 * every event, and the server drops the stuck connection once it stalls past its limit (30 s).
 * `npm test` runs it on SQLite only: each store waits out the 30 s stall limit, so PostgreSQL
 * would add some 30 s; the soak runs both (PARLEY_SOAK_STORES chooses).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { b64uDecode, canonical, ed25519Signer, fingerprint, signRequest } from '../../src/protocol';
import { collectSse, post } from '../service/service-test-kit';
import { DEFAULT_STALL_MS } from '../../src/common/backpressure-writer';
import { negotiators, param, report, rssMb, sleep, spawnedServerFor, storeKinds, TestChannel } from './reliability-kit';

const EVENT_KB = 384;
const EVENTS = param('SLOW_EVENTS', 240, 1000);
const BOUND_MB = 100;
/**
 * The server's V8 heap is capped for this suite so that lazy garbage collection of the large
 * request bodies (some 50 MB of RSS here) does not hide what matters: memory that grows with
 * the events appended. Buffers queued on a socket live outside the heap and are not capped.
 */
const HEAP_MB = 128;

jest.setTimeout(120_000 + EVENTS * 200 + DEFAULT_STALL_MS);

/** Opens the SSE stream on a raw socket, waits for the response head, then stops reading for good. */
async function stuckSubscriber(url: string, c: TestChannel): Promise<Socket> {
  const { hostname, port } = new URL(url);
  const target = `/v1/channels/${c.id}/stream`;
  const keys = c.n.keys(c.writers[0]);
  const headers = signRequest({ method: 'GET', target, keyid: fingerprint(keys), signer: ed25519Signer(b64uDecode(keys.signSeed, 32)!) });
  const socket = connect(Number(port), hostname);
  await new Promise<void>((r) => socket.once('connect', () => r()));
  socket.write(`GET ${target} HTTP/1.1\r\nhost: ${hostname}:${port}\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`);
  const head = await new Promise<string>((r) => socket.once('data', (d: Buffer) => r(d.toString('latin1'))));
  if (!head.startsWith('HTTP/1.1 200')) throw new Error(`stream answered ${head.slice(0, 200)}`);
  socket.pause();
  return socket;
}

/**
 * Whether the server process still holds the connection. Its closing does not show on our
 * side: a paused socket never reads the FIN queued behind the data it did not read. So ask
 * the kernel which process owns the server's end (once closed, an orphan has none).
 */
function heldByServer(socket: Socket, pid: number): boolean {
  const sockets = execFileSync('ss', ['-tnpH'], { encoding: 'utf8' });
  return sockets
    .split('\n')
    .some((line) => line.includes(`127.0.0.1:${socket.remotePort} `) && line.includes(`127.0.0.1:${socket.localPort} `) && line.includes(`pid=${pid},`));
}

describe.each(storeKinds())('a subscriber that stops reading, on %s', (kind) => {
  const suite = spawnedServerFor(kind, { NODE_OPTIONS: `--max-old-space-size=${HEAP_MB}` });

  it(`given ${EVENTS} events of ${EVENT_KB} KB appended to its channel, then the server's memory stays within +${BOUND_MB} MB and the stuck client is dropped`, async () => {
    const { server, notarySeed } = suite;
    const c = await TestChannel.open(server.url, notarySeed, negotiators(1));
    const stuck = await stuckSubscriber(server.url, c);
    expect(heldByServer(stuck, server.child.pid!)).toBe(true);
    await sleep(300);
    const baseline = rssMb(server.child.pid!);

    // A healthy subscriber on the same channel, reading everything.
    const healthy = collectSse(c.http(c.writers[1]), c.id, EVENTS + 1, { timeoutMs: 60_000 + EVENTS * 200 });
    let peak = baseline;
    let appendedMb = 0;
    const started = Date.now();
    for (let i = 0; i < EVENTS; i++) {
      // A real body, its ciphertext then swapped for random bytes of the size wanted: the server
      // cannot tell (it never decrypts), and the test need not encrypt hundreds of megabytes.
      const box = randomBytes(EVENT_KB * 1024).toString('base64url');
      const env = c.n.build(c.writers[i % 3], 'MessagePosted', { audience: ['ru', 'ua', 'us'] }, { text: 'large' }, (e) => void (e.body!.box = box));
      const body = JSON.stringify(env);
      const res = await post(server.url, c.id, body);
      expect(res.status).toBe(201);
      c.n.apply(env);
      appendedMb += body.length / 2 ** 20;
      if (i % 10 === 0) peak = Math.max(peak, rssMb(server.child.pid!));
    }
    peak = Math.max(peak, rssMb(server.child.pid!));
    const got = await healthy;
    expect(got.map((m) => m.data)).toEqual(c.n.log.map((e) => canonical(e)));

    // The data appended was far more than the bound: a server buffering for the stuck client would exceed it.
    expect(appendedMb).toBeGreaterThan(BOUND_MB * 1.2);
    expect(peak - baseline).toBeLessThan(BOUND_MB);

    // The server gives up on the stuck client after its stall limit.
    const deadline = started + DEFAULT_STALL_MS + 60_000;
    while (heldByServer(stuck, server.child.pid!) && Date.now() < deadline) await sleep(250);
    expect(heldByServer(stuck, server.child.pid!)).toBe(false);
    stuck.destroy();
    expect(server.child.exitCode).toBeNull();
    report(`slow-consumer-${kind}`, { events: EVENTS, seconds: Math.round((Date.now() - started) / 1000), appendedMb: Math.round(appendedMb), baselineMb: Math.round(baseline), peakMb: Math.round(peak) });
  });
});
