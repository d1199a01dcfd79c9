/**
 * The SDK's HTTP client against a server that misbehaves on purpose, on loopback: redirects
 * to another origin, endless bodies and lines, `retry: 0` and streams that end at once, and
 * answers that trickle or never come. Each must end in a clear error, or a bounded wait,
 * never in the signed request sent elsewhere, unbounded memory, a hot loop or a hang.
 */
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { getEventListeners } from 'node:events';
import { ApiError, ParleyHttpClient, ServerTimeoutError, ServerUnreachableError, UnexpectedResponseError } from '../../src/client';
import { serverLog } from '../../src/audit/server-log';
import { describeFailure, EXIT } from '../../src/cli/support/cli-errors';
import { loadEnvelopeVectors, loadRequestVectors } from '../support/vectors';

jest.setTimeout(20_000);

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

interface Listening {
  server: Server;
  url: string;
  requests: IncomingMessage[];
}

const servers: Server[] = [];

async function listen(handler: Handler): Promise<Listening> {
  const requests: IncomingMessage[] = [];
  const server = createServer((req, res) => {
    requests.push(req);
    handler(req, res);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

/** Writes `chunk` again and again, as fast as the client reads, until `total` bytes or the connection closes. */
function pour(res: ServerResponse, chunk: Buffer, total: number, onEnd?: () => void): { written: () => number; closed: Promise<void> } {
  let written = 0;
  const closed = new Promise<void>((resolve) => res.on('close', resolve));
  const write = () => {
    while (written < total && !res.destroyed) {
      written += chunk.length;
      if (!res.write(chunk)) return;
    }
    if (written >= total) res.end(onEnd?.());
  };
  res.on('drain', write);
  write();
  return { written: () => written, closed };
}

/** Writes one byte every `ms` until the connection closes: each byte resets a per-read timeout, never the answer's end. */
function trickle(res: ServerResponse, ms: number): void {
  const timer = setInterval(() => res.write(' '), ms);
  res.on('close', () => clearInterval(timer));
}

/** Five NDJSON lines, one every 100 ms: each well within a 300 ms deadline, all of them not. */
function fiveSlowLines(_req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'application/x-ndjson' });
  let seq = 0;
  const timer = setInterval(() => (seq < 5 ? res.write(`{"seq":${seq++}}\n`) : res.end()), 100);
  res.on('close', () => clearInterval(timer));
}

const channel = '00000000-0000-4000-8000-000000000000';
const MiB = 2 ** 20;
const vectors = loadRequestVectors();
const keys = loadEnvelopeVectors().identities[vectors.identity.split(' ')[0]];

async function drain<T>(source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of source) out.push(item);
  return out;
}

describe('redirects', () => {
  it('given a 3xx to another origin, when reading, then ApiError naming the redirect; the other origin receives nothing signed', async () => {
    const elsewhere = await listen((_req, res) => res.end(JSON.stringify({ seq: 99, prev: 'f'.repeat(64) })));
    const redirector = await listen((req, res) => {
      const status = Number(new URL(req.url!, 'http://x').searchParams.get('status') ?? 307);
      res.writeHead(status, { location: elsewhere.url + req.url });
      res.end('moved');
    });
    const client = new ParleyHttpClient({ server: redirector.url, keys });
    for (const status of [301, 302, 303, 307, 308]) {
      const err = await client.send('GET', `/v1/channels/${channel}/head?status=${status}`).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApiError);
      expect(err).toMatchObject({ status, code: `http_${status}`, message: expect.stringContaining(`a redirect to ${elsewhere.url}/v1/channels/`) });
      expect((err as Error).message).toContain('not followed');
    }
    await expect(client.head(channel)).rejects.toMatchObject({ status: 307 });
    await expect(drain(client.events(channel))).rejects.toMatchObject({ status: 307 });
    expect(elsewhere.requests).toHaveLength(0);
    // A refusal for every command (exit 1), and `parley audit`'s "nothing audited" (an ApiError: exit 2).
    expect(describeFailure(await client.head(channel).catch((e: unknown) => e))).toMatchObject({ exit: EXIT.refused, code: 'http_307' });
  });

  it('given a 3xx on the live stream, then it ends with the ApiError at once: no reconnecting, nothing sent elsewhere', async () => {
    const elsewhere = await listen((_req, res) => res.end());
    const redirector = await listen((req, res) => {
      res.writeHead(302, { location: elsewhere.url + req.url });
      res.end();
    });
    const stream = new ParleyHttpClient({ server: redirector.url, keys }).stream(channel, { retryMs: 5 });
    await expect(drain(stream)).rejects.toMatchObject({ status: 302 });
    expect(redirector.requests).toHaveLength(1);
    expect(elsewhere.requests).toHaveLength(0);
  });
});

describe('bodies without end', () => {
  it('given a 500 whose body never ends, then ApiError naming the 16 MiB limit, and the connection is cancelled', async () => {
    let poured: ReturnType<typeof pour> | null = null;
    const { url } = await listen((_req, res) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      // Bounded here only so that a client without a limit fails the test instead of the machine.
      poured = pour(res, Buffer.alloc(MiB, 0x61), 256 * MiB);
    });
    const err = await new ParleyHttpClient({ server: url, keys }).head(channel).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 500, code: 'http_500', message: expect.stringContaining('with a body longer than 16 MiB (the most the client reads)') });
    await poured!.closed;
    expect(poured!.written()).toBeLessThan(64 * MiB);
  });

  it('given a 200 JSON answer past maxBodyBytes, then UnexpectedResponseError naming the limit', async () => {
    const { url } = await listen((_req, res) => res.end(JSON.stringify({ seq: 1, prev: 'x'.repeat(2000) })));
    await expect(new ParleyHttpClient({ server: url, keys, maxBodyBytes: 1024 }).head(channel)).rejects.toThrow(
      new UnexpectedResponseError('the answer is longer than 1024 bytes, the most the client reads: not an answer of a Parley server (is the server address right?)'),
    );
  });

  it('given an NDJSON line that never ends, then UnexpectedResponseError past maxLineBytes, and the connection is cancelled', async () => {
    let poured: ReturnType<typeof pour> | null = null;
    const { url } = await listen((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      poured = pour(res, Buffer.alloc(64 * 1024, 0x20), 256 * MiB, () => '\n');
    });
    const read = drain(new ParleyHttpClient({ server: url, keys, maxLineBytes: MiB }).events(channel));
    await expect(read).rejects.toThrow(UnexpectedResponseError);
    await expect(read).rejects.toThrow(`the server sent a line longer than ${MiB} bytes`);
    await poured!.closed;
    expect(poured!.written()).toBeLessThan(64 * MiB);
  });

  it('given an event-stream comment line that never ends, then the stream ends with UnexpectedResponseError (not retried)', async () => {
    const { url, requests } = await listen((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(': ');
      pour(res, Buffer.alloc(64 * 1024, 0x78), 256 * MiB);
    });
    const stream = new ParleyHttpClient({ server: url, keys, maxLineBytes: MiB }).stream(channel, { retryMs: 5 });
    await expect(drain(stream)).rejects.toThrow(`the server sent an event-stream line longer than ${MiB} characters`);
    expect(requests).toHaveLength(1);
  });
});

describe('event ids', () => {
  it.each([
    ['not digits', 'abc'],
    ['a character no header can carry', '\u0100'],
    ['a seq past 2^53', '9'.repeat(16)],
  ])('given an event id that is %s, then the stream ends with UnexpectedResponseError: it would be sent back as Last-Event-ID', async (_name, id) => {
    const { url, requests } = await listen((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(`id: ${id}\nevent: envelope\ndata: {}\n\n`);
    });
    const stream = new ParleyHttpClient({ server: url, keys }).stream(channel, { retryMs: 5 });
    await expect(drain(stream)).rejects.toThrow(new UnexpectedResponseError(`the stream sent an event id that is not a seq: ${JSON.stringify(id)}`));
    expect(requests).toHaveLength(1);
  });
});

describe('reconnection pace', () => {
  /** The waits the stream announces before each new attempt, until `count` of them. */
  async function waits(url: string, count: number, retryMs?: number): Promise<{ waits: number[]; reasons: string[] }> {
    const abort = new AbortController();
    const seen = { waits: [] as number[], reasons: [] as string[] };
    const stream = new ParleyHttpClient({ server: url, keys }).stream(channel, {
      signal: abort.signal,
      retryMs,
      onConnection: (c) => {
        if (c.connected) return;
        seen.waits.push(c.retryMs);
        seen.reasons.push(c.reason);
        if (seen.waits.length === count) abort.abort();
      },
    });
    await drain(stream);
    return seen;
  }

  it('given a server down for many attempts, then the caller\'s abort signal gathers no listener per attempt', async () => {
    const { url, requests } = await listen((_req, res) => {
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'unavailable', message: 'down' }));
    });
    const abort = new AbortController();
    const stream = new ParleyHttpClient({ server: url, keys }).stream(channel, { signal: abort.signal, retryMs: 1 });
    const drained = drain(stream);
    try {
      while (requests.length < 8) await new Promise((r) => setTimeout(r, 5));
      // One for the wait under way at most, and one for the request's deadline: none left behind.
      expect(getEventListeners(abort.signal, 'abort').length).toBeLessThanOrEqual(2);
    } finally {
      abort.abort();
      await drained;
    }
  });

  it('given retry: 0 and a stream that ends at once, then the next attempt waits a second (the floor), not 0 ms', async () => {
    const { url, requests } = await listen((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end('retry: 0\n\n');
    });
    expect((await waits(url, 1)).waits).toEqual([1000]);
    expect(requests).toHaveLength(1);
  });

  it('given streams that end without an event, then each wait doubles: the backoff is not reset by a 200 alone', async () => {
    const { url } = await listen((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(': nothing\n\n');
    });
    expect(await waits(url, 4, 5)).toEqual({ waits: [5, 10, 20, 40], reasons: Array(4).fill('the server ended the stream') });
  });

  it('given a stream that delivered an event, then the wait starts afresh', async () => {
    let n = 0;
    const { url } = await listen((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(++n === 3 ? 'id: 0\nevent: envelope\ndata: {}\n\n' : '');
    });
    expect((await waits(url, 4, 5)).waits).toEqual([5, 10, 5, 10]);
  });

  it('given a stream that stayed open a minute without events (a quiet channel), then the wait starts afresh', async () => {
    const realNow = Date.now.bind(Date);
    let skew = 0;
    const now = jest.spyOn(Date, 'now').mockImplementation(() => realNow() + skew);
    try {
      let n = 0;
      const { url } = await listen((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        if (++n !== 3) return void res.end();
        res.write(': heartbeat\n\n');
        // The third connection lasts a minute (by the clock the client reads), then ends.
        setTimeout(() => {
          skew = 61_000;
          res.end();
        }, 50);
      });
      expect((await waits(url, 4, 5)).waits).toEqual([5, 10, 5, 10]);
    } finally {
      now.mockRestore();
    }
  });
});

describe('deadlines', () => {
  it('given an answer trickling one byte at a time, then ServerTimeoutError at the deadline, reported as unreachable (exit 3)', async () => {
    const { url } = await listen((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      trickle(res, 50);
    });
    const started = Date.now();
    const err = await new ParleyHttpClient({ server: url, keys, timeoutMs: 300 }).head(channel).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(err).toBeInstanceOf(ServerTimeoutError);
    expect(err).toBeInstanceOf(ServerUnreachableError);
    expect((err as Error).message).toBe(`cannot reach ${url}: no complete answer within 300 ms`);
    expect(describeFailure(err)).toMatchObject({ exit: EXIT.unreachable, code: 'unreachable' });
  });

  it('given a server that takes the request and never answers, then ServerTimeoutError', async () => {
    const { url } = await listen(() => undefined);
    await expect(new ParleyHttpClient({ server: url, timeoutMs: 200 }).notary()).rejects.toThrow(`cannot reach ${url}: no answer within 200 ms`);
  });

  it('given an NDJSON page trickling bytes that never make a line, then ServerTimeoutError', async () => {
    const { url } = await listen((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.write('{"seq":0}\n');
      trickle(res, 50);
    });
    const read = drain(new ParleyHttpClient({ server: url, keys, timeoutMs: 300 }).events(channel));
    await expect(read).rejects.toThrow(ServerTimeoutError);
    await expect(read).rejects.toThrow('no answer, or no next line, within 300 ms');
  });

  it('given NDJSON lines each well within the deadline, then a read longer than the deadline in all still succeeds (an export may be long)', async () => {
    const { url } = await listen(fiveSlowLines);
    const lines = await drain(new ParleyHttpClient({ server: url, keys, timeoutMs: 300 }).exportAll());
    expect(lines.map((l) => l.envelope.seq)).toEqual([0, 1, 2, 3, 4]);
  });

  it('given an export the auditor reads that stalls mid-body, or trickles bytes that end no line, then ServerTimeoutError', async () => {
    for (const stall of [() => undefined, (res: ServerResponse) => trickle(res, 50)]) {
      const { url } = await listen((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/x-ndjson' });
        res.write('{"seq":0}\n{"seq":');
        stall(res);
      });
      const read = drain(serverLog(url, keys, { all: true }, { timeoutMs: 300 }));
      await expect(read).rejects.toThrow(ServerTimeoutError);
      await expect(read).rejects.toThrow('no answer, or no next line, within 300 ms');
    }
  });

  it('given a channel log whose lines each come within the deadline, then the auditor reads it all, however long in all', async () => {
    const { url } = await listen(fiveSlowLines);
    const read = Buffer.concat(await drain(serverLog(url, keys, { channel }, { timeoutMs: 300 })));
    expect(read.toString()).toBe([0, 1, 2, 3, 4].map((seq) => `{"seq":${seq}}\n`).join(''));
  });

  it('given a live stream quieter than the request deadline, then no timeout: a stream has only its silence limit', async () => {
    const { url, requests } = await listen((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('id: 0\nevent: envelope\ndata: {}\n\n');
      setTimeout(() => res.write('id: 1\nevent: envelope\ndata: {}\n\n'), 600);
    });
    const abort = new AbortController();
    const ids: (string | null)[] = [];
    for await (const msg of new ParleyHttpClient({ server: url, keys, timeoutMs: 200 }).stream(channel, { signal: abort.signal })) {
      ids.push(msg.id);
      if (ids.length === 2) abort.abort();
    }
    expect(ids).toEqual(['0', '1']);
    expect(requests).toHaveLength(1);
  });

  it('given a live stream that falls silent, not even a heartbeat, then it is dropped after idleMs and made again', async () => {
    const { url, requests } = await listen((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(': heartbeat\n\n');
    });
    const abort = new AbortController();
    const reasons: string[] = [];
    const stream = new ParleyHttpClient({ server: url, keys }).stream(channel, {
      signal: abort.signal,
      retryMs: 5,
      idleMs: 200,
      onConnection: (c) => {
        if (c.connected) return;
        reasons.push(c.reason);
        if (reasons.length === 2) abort.abort();
      },
    });
    await drain(stream);
    expect(reasons).toEqual(Array(2).fill('nothing, not even a heartbeat, within 200 ms'));
    expect(requests.length).toBeGreaterThanOrEqual(2);
  });
});
