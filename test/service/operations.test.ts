/**
 * Operations of a real `node dist/src/main.js`: health, Prometheus metrics, the OpenAPI
 * document, JSON logs that hold no body, key or signature, and a graceful stop on SIGTERM.
 */
import { connect, type Socket } from 'node:net';
import { NegotiationBuilder, newNotarySeed } from '../support/negotiation-builder';
import { newStoreLocation, spawnServer, type SpawnedServer, type StoreLocation } from './service-harness';
import { post, signedGet, signedGetHeaders } from './service-test-kit';
import { signRequest, fingerprint, ed25519Signer, b64uDecode } from '../../src/protocol';

jest.setTimeout(60_000);

describe('a running service', () => {
  const notarySeed = newNotarySeed();
  let location: StoreLocation;
  let server: SpawnedServer;
  let n: NegotiationBuilder;

  beforeAll(async () => {
    location = newStoreLocation('sqlite');
    server = await spawnServer({ ...location.env, PARLEY_NOTARY_SEED: notarySeed, LOG_LEVEL: 'debug', PARLEY_SHUTDOWN_GRACE_S: '2' });
    n = NegotiationBuilder.open({ notarySeed });
    expect((await post(server.url, n.channel, n.log[0])).status).toBe(201);
    expect((await post(server.url, n.channel, n.log[0])).status).toBe(200);
    expect((await post(server.url, n.channel, { ...n.log[0], seq: 7 })).status).toBe(409);
    expect((await post(server.url, n.channel, '{"v":1,"v":1}')).status).toBe(400);
    // Routes match whatever the case: so does the count of refused appends.
    expect((await fetch(`${server.url}/V1/CHANNELS/${n.channel}/EVENTS`, { method: 'POST', body: '{"v":1,"v":1}' })).status).toBe(400);
    expect((await post(server.url, n.channel, 'x'.repeat(1024 * 1024 + 1))).status).toBe(413);
  });

  afterAll(async () => {
    if (server) await server.stop();
    await location?.remove();
  });

  it('when asked for /health then it answers 200 with the process and the store up', async () => {
    const res = await fetch(`${server.url}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', details: { process: { status: 'up' }, store: { status: 'up' } } });
    expect(res.headers.get('x-powered-by')).toBeNull();
  });

  it('when scraped then /metrics counts appends, rejections by code, request latency and the projection lag', async () => {
    const res = await fetch(`${server.url}/metrics`);
    const text = await res.text();
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(text).toMatch(/^parley_appends_total\{created="true"\} 1$/m);
    expect(text).toMatch(/^parley_appends_total\{created="false"\} 1$/m);
    expect(text).toMatch(/^parley_append_rejections_total\{code="seq_gap"\} 1$/m);
    expect(text).toMatch(/^parley_append_rejections_total\{code="malformed"\} 2$/m);
    expect(text).toMatch(/^parley_append_rejections_total\{code="payload_too_large"\} 1$/m);
    expect(text).toMatch(/^parley_http_request_duration_seconds_count\{method="POST",route="\/v1\/channels\/:channel\/events",status="201"\} 1$/m);
    expect(text).toMatch(/^# TYPE parley_projection_lag_events gauge$/m);
  });

  it('when /docs is asked then the OpenAPI UI and document describe the channel routes', async () => {
    expect((await fetch(`${server.url}/docs`)).status).toBe(200);
    const doc = (await (await fetch(`${server.url}/docs-json`)).json()) as { paths: Record<string, any>; components: { schemas: Record<string, any> } };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/v1/channels/{channel}/events', '/v1/channels/{channel}/head', '/v1/channels/{channel}/stream', '/v1/notary', '/v1/export', '/health', '/metrics']),
    );
    expect(Object.keys(doc.paths['/v1/channels/{channel}/events'].post.responses).sort()).toEqual(['200', '201', '400', '409', '413', '422', '503']);
    // Every status these routes can give is described.
    const statuses = (path: string) => Object.keys(doc.paths[path].get.responses).sort();
    expect(statuses('/v1/channels/{channel}/state')).toEqual(['200', '400', '401', '404', '503']);
    expect(statuses('/v1/channels/{channel}/audit')).toEqual(['200', '400', '401', '404', '503']);
    expect(statuses('/v1/export')).toEqual(['200', '400', '401', '404', '503']);
    expect(statuses('/v1/notary')).toEqual(['200', '400']);
    // Errors are JSON on every route: on the NDJSON and SSE routes only the 200 is not.
    for (const path of ['/v1/channels/{channel}/events', '/v1/channels/{channel}/stream', '/v1/export']) {
      const { 200: ok, ...errors } = doc.paths[path].get.responses;
      expect(Object.keys(ok.content)).toEqual([path.endsWith('/stream') ? 'text/event-stream' : 'application/x-ndjson']);
      for (const answer of Object.values<any>(errors)) expect(Object.keys(answer.content)).toEqual(['application/json']);
    }
    // Integers where the server takes or gives nothing else.
    const query = doc.paths['/v1/channels/{channel}/events'].get.parameters.filter((q: { in: string }) => q.in === 'query');
    expect(query.map((q: { name: string; schema: { type: string } }) => [q.name, q.schema.type])).toEqual([['from', 'integer'], ['limit', 'integer']]);
    expect(doc.components.schemas.AuditViolationDto).toMatchObject({ properties: { seq: { type: 'integer', nullable: true } }, required: expect.arrayContaining(['seq']) });
    // The health checks described are those answered (terminus's own description names a `database`).
    for (const path of ['/health', '/health/live', '/health/ready']) {
      const health = (await (await fetch(server.url + path)).json()) as { details: object };
      const example = doc.paths[path].get.responses['200'].content['application/json'].schema.example;
      expect({ path, checks: Object.keys(example.details).sort() }).toEqual({ path, checks: Object.keys(health.details).sort() });
    }
    expect(Object.keys(doc.paths['/health'].get.responses['503'].content['application/json'].schema.example)).toEqual(['error', 'message', 'health']);
  });

  it('when requests were signed and bodies posted then the logs are JSON lines without bodies, keys or signatures', async () => {
    const target = `/v1/channels/${n.channel}/head`;
    const keys = n.keys('ua.lead');
    const headers = signRequest({ method: 'GET', target, keyid: fingerprint(keys), signer: ed25519Signer(b64uDecode(keys.signSeed, 32)!) });
    expect((await fetch(server.url + target, { headers })).status).toBe(200);
    expect((await signedGet(server.url, target, keys)).status).toBe(200);
    // The request lines reach our pipe a moment after the responses; wait for them, not a fixed time.
    for (let waited = 0; waited < 10_000 && !server.output().includes(`"path":"${target}"`); waited += 50) await new Promise((r) => setTimeout(r, 50));
    const lines = server.output().split('\n').filter(Boolean);
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
    expect(lines.some((l) => l.includes(`"path":"${target}"`))).toBe(true);
    const secrets = [
      headers.signature.slice(6, 40),
      headers['signature-input'].slice(0, 40),
      n.log[0].sig,
      n.log[0].body!.box.slice(0, 40),
      keys.signSeed,
      keys.signKey,
      notarySeed,
    ];
    for (const secret of secrets) expect(server.output()).not.toContain(secret);
  });

  it("when Node's HTTP parser refuses a request (headers too large, a bare CR in a header, Content-Length with chunked), then the answer still has a JSON error body", async () => {
    const { port } = new URL(server.url);
    const raw = (request: string) =>
      new Promise<string>((resolve, reject) => {
        let got = '';
        const socket = connect(Number(port), '127.0.0.1', () => socket.write(request));
        socket.on('data', (d) => (got += d.toString('latin1')));
        socket.on('end', () => resolve(got));
        socket.on('error', reject);
      });
    const cases: [string, number][] = [
      [`GET /health HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`, 431],
      ['GET /health HTTP/1.1\r\nhost: x\r\nx-bad: a\rb\r\n\r\n', 400],
      ['POST /v1/notary HTTP/1.1\r\nhost: x\r\ncontent-length: 3\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n', 400],
    ];
    for (const [request, status] of cases) {
      const text = await raw(request);
      const [head, body] = text.split('\r\n\r\n');
      expect(head.split('\r\n')[0]).toBe(`HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : 'Bad Request'}`);
      expect(head).toMatch(/content-type: application\/json/i);
      expect(JSON.parse(body)).toEqual({ error: 'malformed', message: expect.any(String) });
    }
  });

  it('when started then it logs where it listens and which store it uses', () => {
    expect(server.output()).toContain(`"msg":"listening on ${server.url} (store: sqlite at `);
  });

  it('when sent SIGTERM with appends in flight, then it stops accepting, answers them (one pipelined behind another too), and stops after the grace without waiting for streams or a stalled upload', async () => {
    const port = Number(new URL(server.url).port);
    const target = `/v1/channels/${n.channel}/stream`;
    const stream = await fetch(server.url + target, { headers: signedGetHeaders(target, n.keys('ua.lead')) });
    expect(stream.status).toBe(200);
    // Express serves HEAD with the GET handler: a stream too, which the drain must not wait for either.
    const headStream = await connected(port);
    let headAnswer = '';
    headStream.on('data', (d) => (headAnswer += d));
    const keys = n.keys('ua.lead');
    const signed = signRequest({ method: 'HEAD', target, keyid: fingerprint(keys), signer: ed25519Signer(b64uDecode(keys.signSeed, 32)!) });
    const headers = Object.entries(signed).map(([k, v]) => `${k}: ${v}\r\n`).join('');
    headStream.write(`HEAD ${target} HTTP/1.1\r\nhost: x\r\n${headers}\r\n`);
    await until(() => headAnswer.startsWith('HTTP/1.1 200 OK'));
    // A client that pipelines requests behind its stream and goes away: none of them is waited for.
    const gone = await connected(port);
    let goneAnswer = '';
    gone.on('data', (d) => (goneAnswer += d));
    const streamHeaders = Object.entries(signedGetHeaders(target, keys)).map(([k, v]) => `${k}: ${v}\r\n`).join('');
    gone.write(`GET ${target} HTTP/1.1\r\nhost: x\r\n${streamHeaders}\r\n` + 'GET /health/live HTTP/1.1\r\nhost: x\r\n\r\n'.repeat(5));
    await until(() => goneAnswer.startsWith('HTTP/1.1 200 OK'));
    gone.destroy();
    const stalled = await connected(port);
    stalled.write(`POST /v1/channels/${n.channel}/events HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"v":`);
    // "100 Continue" is written as Node hands the request to the application: from then on it is in flight.
    const message = n.message('ua.lead', ['ru', 'ua'], 'sent as the server stops');
    const pipelined = n.message('ua.lead', ['ru', 'ua'], 'pipelined behind it');
    const post = (body: string, extra = '') =>
      `POST /v1/channels/${n.channel}/events HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n${extra}content-length: ${Buffer.byteLength(body)}\r\n\r\n`;
    const inFlight = await connected(port);
    let answer = '';
    inFlight.on('data', (d) => (answer += d));
    inFlight.write(post(JSON.stringify(message), 'expect: 100-continue\r\n'));
    await until(() => answer.startsWith('HTTP/1.1 100 Continue\r\n\r\n'));

    const stopped = server.stop();
    await until(async () => (await refused(port)) === true);
    inFlight.write(JSON.stringify(message) + post(JSON.stringify(pipelined)) + JSON.stringify(pipelined));
    const responses = () => answer.slice('HTTP/1.1 100 Continue\r\n\r\n'.length).split(/(?=HTTP\/1\.1 )/);
    await until(() => responses().length === 2 && /\}$/.test(answer));
    const [first, second] = responses().map((r) => r.split('\r\n\r\n'));
    // The first keeps its connection for the one pipelined behind it, which ends it.
    expect(first[0].split('\r\n')[0]).toBe('HTTP/1.1 201 Created');
    expect(first[0]).toMatch(/^connection: keep-alive$/im);
    expect(JSON.parse(first[1])).toMatchObject({ seq: message.seq });
    expect(second[0].split('\r\n')[0]).toBe('HTTP/1.1 201 Created');
    expect(second[0]).toMatch(/^connection: close$/im);
    expect(JSON.parse(second[1])).toMatchObject({ seq: pipelined.seq });

    // Nest re-raises the signal after its shutdown hooks ran, so the exit is by SIGTERM.
    expect(await stopped).toEqual({ code: null, signal: 'SIGTERM' });
    for (const socket of [stalled, inFlight, headStream]) socket.destroy();
    await stream.body?.cancel().catch(() => undefined);
    expect(server.output()).toMatch(/"msg":"stopping: answering 2 request\(s\) in flight first \(at most 2 s\)"/);
    expect(server.output()).toMatch(/"msg":"stopping: 1 request\(s\) still in flight after 2 s are cut off"/);
    expect(server.output()).toMatch(/"msg":"event store closed"/);
  });
});

async function connected(port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined); // reset by the shutdown, once the grace is over
  await new Promise((r) => socket.once('connect', r));
  return socket;
}

/** Whether a new connection is refused (the server has stopped listening). */
async function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(false)));
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
  });
}

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}
