import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sendSse, type SseEvent } from './sse';

const EVENT_DATA = 'x'.repeat(64 * 1024);
const TOTAL = 400; // 25 MiB if it were all buffered

/** A real HTTP server whose one route streams TOTAL events from a counting source. */
async function serve(stallMs: number, total = TOTAL, heartbeatMs?: number) {
  const source = { pulled: 0, finished: false };
  async function* events(): AsyncGenerator<SseEvent> {
    try {
      for (let i = 0; i < total; i++) {
        source.pulled++;
        yield { id: String(i), event: 'envelope', data: EVENT_DATA };
      }
      if (heartbeatMs) await sleep(heartbeatMs * 3.5); // idle: nothing new to send
    } finally {
      source.finished = true;
    }
  }
  const done: Promise<void>[] = [];
  const server: Server = createServer((_req, res) => done.push(sendSse(res, events(), () => {}, { stallMs, heartbeatMs })));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const connect = () =>
    new Promise<IncomingMessage>((resolve) => request({ port, host: '127.0.0.1', path: '/' }, resolve).end());
  return { source, connect, done, close: () => new Promise((r) => server.close(r)) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('sendSse', () => {
  it('given a client gone before the stream starts, then the stream is aborted at once, not kept for nobody', async () => {
    const abort = new AbortController();
    // A caught-up follower: nothing to send until aborted.
    async function* idle(): AsyncGenerator<SseEvent> {
      if (!abort.signal.aborted) await new Promise((r) => abort.signal.addEventListener('abort', r));
    }
    const server = createServer((req, res) => req.socket.once('close', () => void sendSse(res, idle(), () => abort.abort(), { heartbeatMs: 60_000 })));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const client = request({ port, host: '127.0.0.1', path: '/' });
    client.on('error', () => undefined);
    client.end();
    client.once('socket', (socket) => socket.once('connect', () => setTimeout(() => socket.destroy(), 20)));
    for (let i = 0; i < 100 && !abort.signal.aborted; i++) await sleep(10);
    expect(abort.signal.aborted).toBe(true);
    client.destroy();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('given an idle stream, then a comment heartbeat is sent every interval', async () => {
    const s = await serve(10_000, 1, 100);
    const res = await s.connect();
    let text = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => (text += chunk));
    await new Promise((r) => res.once('end', r));
    expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(text.startsWith('id: 0\nevent: envelope\ndata: ')).toBe(true);
    // 3.5 intervals idle: three beats, or two when a busy machine delays the timer.
    expect(text.match(/^: heartbeat\n\n/gm)?.length).toBeGreaterThanOrEqual(2);
    await s.close();
  });

  it('given a client that stops reading, when the socket is full, then the source is not read ahead; when it reads again, every event arrives in order', async () => {
    const s = await serve(10_000);
    const res = await s.connect();
    res.pause();
    await sleep(300);
    // Bounded by the socket buffers (a few hundred KiB), far below the whole stream.
    expect(s.source.pulled).toBeLessThan(TOTAL / 4);

    let text = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => (text += chunk));
    res.resume();
    await new Promise((r) => res.once('end', r));
    const ids = [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    expect(ids).toEqual([...Array(TOTAL).keys()]);
    await s.close();
  });

  it('given a client that never reads, when it stays stuck past the stall limit, then it is dropped and the source is closed', async () => {
    const s = await serve(300);
    const res = await s.connect();
    res.pause();
    await sleep(50); // the server has taken the request
    await Promise.all(s.done);
    expect(s.source.finished).toBe(true);
    expect(s.source.pulled).toBeLessThan(TOTAL / 4);
    res.destroy();
    await s.close();
  });
});
