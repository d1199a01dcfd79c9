/**
 * The SDK's HTTP client on the wire, against a real HTTP server on loopback that records
 * what arrives: signed requests byte-identical to the shared vectors, NDJSON paging,
 * SSE reconnection with Last-Event-ID, and errors as the contract shapes them.
 */
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { ApiError, ParleyHttpClient, ServerUnreachableError, UnexpectedResponseError } from '../../src/client';
import { loadEnvelopeVectors, loadRequestVectors } from '../support/vectors';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

type Handler = (req: Seen, res: ServerResponse) => void;

async function listen(handler: Handler): Promise<{ server: Server; url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const s = { method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      seen.push(s);
      handler(s, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

const close = (server: Server) => new Promise((r) => server.close(r));

describe('ParleyHttpClient on the wire', () => {
  const vectors = loadRequestVectors();
  // requests.json names its signer as "<identity> …".
  const signer = loadEnvelopeVectors().identities[vectors.identity.split(' ')[0]];

  it('given the request vectors, when the client signs each request, then the headers are byte-identical', async () => {
    const { server, url, seen } = await listen((_req, res) => res.end('{}'));
    try {
      expect(vectors.cases.length).toBeGreaterThan(0);
      for (const c of vectors.cases) {
        const client = new ParleyHttpClient({ server: url, keys: signer, now: () => c.created, nonce: () => c.nonce });
        await client.send(c.method, c.path, { body: c.body });
        const got = seen[seen.length - 1];
        expect({ method: got.method, url: got.url, body: got.body }).toEqual({ method: c.method, url: c.path, body: c.body ?? '' });
        for (const [name, value] of Object.entries(c.headers)) expect(got.headers[name]).toBe(value);
        if (!c.body) expect(got.headers['content-digest']).toBeUndefined();
      }
    } finally {
      await close(server);
    }
    expect(seen).toHaveLength(vectors.cases.length);
  });

  it('given a read answered 503 with Retry-After, then it is asked again after the wait, signed afresh, and the answer returned; an append is not asked again here', async () => {
    let refusals = 2;
    const { server, url, seen } = await listen((req, res) => {
      if (req.method === 'POST' || refusals-- > 0) {
        res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' });
        res.end(JSON.stringify({ error: 'unavailable', message: 'the event store cannot be reached just now' }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ seq: 3, prev: 'a'.repeat(64) }));
    });
    try {
      const client = new ParleyHttpClient({ server: url, keys: signer });
      expect(await client.head('c')).toEqual({ seq: 3, prev: 'a'.repeat(64) });
      expect(seen.map((s) => s.url)).toEqual(['/v1/channels/c/head', '/v1/channels/c/head', '/v1/channels/c/head']);
      expect(new Set(seen.map((s) => s.headers['signature'])).size).toBe(3); // each attempt its own signature (its own nonce)
      const append = await client.append({ channel: 'c' } as never).catch((e: unknown) => e);
      expect(append).toMatchObject({ status: 503, code: 'unavailable' });
      expect(seen).toHaveLength(4);
    } finally {
      await close(server);
    }
  });

  it('given a 503 whose Retry-After would outlast the request\'s own time limit, then the 503 itself is the answer, not a timeout', async () => {
    const { server, url, seen } = await listen((_req, res) => {
      res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '5' });
      res.end(JSON.stringify({ error: 'unavailable', message: 'the event store cannot be reached just now' }));
    });
    try {
      const err = await new ParleyHttpClient({ server: url, keys: signer, timeoutMs: 3000 }).head('c').catch((e: unknown) => e);
      expect(err).toMatchObject({ status: 503, code: 'unavailable' });
      expect(seen).toHaveLength(1);
    } finally {
      await close(server);
    }
  });

  it('given 5 stored lines, when reading with pages of 2, then it pages from 0, 2, 4 and keeps every line exactly', async () => {
    const lines = ['{"seq":0}', '{"seq":1,"t":"é"}', '{"seq":2}', '{"seq":3}', '{"seq":4}'];
    const { server, url, seen } = await listen((req, res) => {
      const q = new URL(req.url, 'http://x').searchParams;
      const from = Number(q.get('from'));
      const page = lines.slice(from, from + Number(q.get('limit')));
      res.setHeader('content-type', 'application/x-ndjson');
      res.end(page.map((l) => l + '\n').join(''));
    });
    try {
      const client = new ParleyHttpClient({ server: url, keys: signer });
      const got: string[] = [];
      for await (const { raw } of client.events('c', { pageSize: 2 })) got.push(raw.toString('utf8'));
      expect(got).toEqual(lines);
      expect(seen.map((s) => s.url)).toEqual(['/v1/channels/c/events?from=0&limit=2', '/v1/channels/c/events?from=2&limit=2', '/v1/channels/c/events?from=4&limit=2']);
      expect(seen.every((s) => typeof s.headers['signature'] === 'string')).toBe(true);
    } finally {
      await close(server);
    }
  });

  it('given a store row served as a blank line at the end of a page, then paging goes on past it: servedEvents yields it, events skips it, and neither stops short', async () => {
    const lines = ['{"seq":0}', '', '{"seq":2}', '{"seq":3}', '{"seq":4}'];
    const { server, url, seen } = await listen((req, res) => {
      const q = new URL(req.url, 'http://x').searchParams;
      const from = Number(q.get('from'));
      res.setHeader('content-type', 'application/x-ndjson');
      res.end(lines.slice(from, from + Number(q.get('limit'))).map((l) => l + '\n').join(''));
    });
    try {
      const client = new ParleyHttpClient({ server: url, keys: signer });
      const served: (string | null)[] = [];
      for await (const line of client.servedEvents('c', { pageSize: 2 })) served.push(line.envelope === null ? line.problem : line.raw.toString('utf8'));
      expect(served).toEqual(['{"seq":0}', 'the server sent a blank line where an event should stand', '{"seq":2}', '{"seq":3}', '{"seq":4}']);
      expect(seen.map((s) => new URL(s.url, 'http://x').searchParams.get('from'))).toEqual(['0', '2', '4']);
      const strict: string[] = [];
      for await (const { raw } of client.events('c', { pageSize: 2 })) strict.push(raw.toString('utf8'));
      expect(strict).toEqual(['{"seq":0}', '{"seq":2}', '{"seq":3}', '{"seq":4}']);
    } finally {
      await close(server);
    }
  });

  it('given a stream that drops after two events, when following it, then it reconnects with Last-Event-ID and continues', async () => {
    const { server, url, seen } = await listen((req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const last = req.headers['last-event-id'];
      if (last === undefined) res.end('id: 0\nevent: envelope\ndata: {"seq":0}\n\nid: 1\nevent: envelope\ndata: {"seq":1}\n\n');
      else res.end(`id: ${Number(last) + 1}\nevent: envelope\ndata: {"seq":${Number(last) + 1}}\n\n`);
    });
    const abort = new AbortController();
    try {
      const client = new ParleyHttpClient({ server: url, keys: signer });
      const ids: (string | null)[] = [];
      for await (const msg of client.stream('c', { signal: abort.signal, retryMs: 10 })) {
        ids.push(msg.id);
        if (ids.length === 3) abort.abort();
      }
      expect(ids).toEqual(['0', '1', '2']);
      expect(seen[1].headers['last-event-id']).toBe('1');
    } finally {
      await close(server);
    }
  });

  it('given a 503 while the server restarts, when following, then it retries after the wait and says when it lost and regained the stream', async () => {
    let answers = 0;
    const { server, url } = await listen((_req, res) => {
      if (++answers === 2) {
        res.writeHead(503, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify({ error: 'unavailable', message: 'starting' }));
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(`id: ${answers}\nevent: envelope\ndata: {}\n\n`);
    });
    const abort = new AbortController();
    const changes: unknown[] = [];
    try {
      const client = new ParleyHttpClient({ server: url, keys: signer });
      const ids: (string | null)[] = [];
      for await (const msg of client.stream('c', { signal: abort.signal, retryMs: 5, onConnection: (c) => changes.push(c) })) {
        ids.push(msg.id);
        if (ids.length === 2) abort.abort();
      }
      expect(ids).toEqual(['1', '3']);
      expect(changes).toEqual([
        { connected: true },
        { connected: false, reason: 'the server ended the stream', retryMs: 5 },
        // The 503 while down is no change: still not connected.
        { connected: true },
      ]);
    } finally {
      await close(server);
    }
  });

  it("given a 409, when appending, then ApiError carries the server's code, message and head", async () => {
    const head = { seq: 4, prev: 'a'.repeat(64) };
    const { server, url } = await listen((_req, res) => {
      res.writeHead(409, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'seq_gap', message: 'seq 3 is not the next seq 4', head }));
    });
    try {
      const err = await new ParleyHttpClient({ server: url }).append({ channel: 'c' } as never).catch((e) => e);
      expect(err).toBeInstanceOf(ApiError);
      expect(err).toMatchObject({ status: 409, code: 'seq_gap', message: 'seq 3 is not the next seq 4', body: { head } });
    } finally {
      await close(server);
    }
  });

  it('given a server that is not Parley, when calling, then its answers are reported by status and gist, not as raw markup', async () => {
    const { server, url } = await listen((req, res) => {
      if (req.url === '/v1/notary' || req.url?.includes('/events')) {
        res.writeHead(200, { 'content-type': 'text/html' });
        return void res.end('<html>\n<body><h1>Welcome</h1></body></html>');
      }
      res.writeHead(404, { 'content-type': 'text/html' });
      res.end('<!DOCTYPE html>\n<html><head><title>Error</title></head>\n<body><pre>Cannot GET /v1/channels</pre></body></html>');
    });
    try {
      const client = new ParleyHttpClient({ server: url, keys: signer });
      await expect(client.head('00000000-0000-4000-8000-000000000000')).rejects.toMatchObject({
        status: 404,
        code: 'http_404',
        message: expect.stringMatching(/^404 Not Found, not an answer of a Parley server \(is the server address right\?\); it says: Error Cannot GET \/v1\/channels$/),
      });
      await expect(client.notary()).rejects.toThrow('the answer is not JSON: 200 OK, not an answer of a Parley server (is the server address right?); it says: Welcome');
      // A page where a log should be, the same: not "a line that is not strict JSON".
      const log = (async () => {
        for await (const _ of client.events('00000000-0000-4000-8000-000000000000')) throw new Error('no line was expected');
      })();
      await expect(log).rejects.toThrow(new UnexpectedResponseError('200 OK, not an answer of a Parley server (is the server address right?); it says: Welcome'));
    } finally {
      await close(server);
    }
  });

  it('given a port fetch refuses to use, then ServerUnreachableError says why (its cause kept), not only "fetch failed"', async () => {
    const err = await new ParleyHttpClient({ server: 'http://127.0.0.1:1' }).notary().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServerUnreachableError);
    const { reason, message, cause } = err as ServerUnreachableError;
    // fetch's own error, from undici's realm (not this sandbox's TypeError)
    expect({ reason, message, cause: (cause as Error).message }).toEqual({ reason: 'bad port', message: 'cannot reach http://127.0.0.1:1: bad port', cause: 'fetch failed' });
  });

  it('given a page cut off mid-body, when reading, then ServerUnreachableError (retried like any lost answer), not a raw TypeError', async () => {
    const { server, url } = await listen((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.write('{"seq":0}\n{"se');
      setTimeout(() => res.destroy(), 20);
    });
    try {
      const lines: unknown[] = [];
      const read = async () => {
        for await (const line of new ParleyHttpClient({ server: url, keys: signer }).events('00000000-0000-4000-8000-000000000000')) lines.push(line.envelope);
      };
      await expect(read()).rejects.toBeInstanceOf(ServerUnreachableError);
      expect(lines).toEqual([{ seq: 0 }]);
    } finally {
      await close(server);
    }
  });

  it('given nothing listening, when calling, then ServerUnreachableError', async () => {
    const { server, url } = await listen(() => undefined);
    await close(server);
    await expect(new ParleyHttpClient({ server: url }).notary()).rejects.toBeInstanceOf(ServerUnreachableError);
  });
});
