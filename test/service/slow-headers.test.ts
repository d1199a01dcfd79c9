/**
 * A client that sends part of its headers and stalls is answered 408 and cut off once the
 * headers limit passes, within the server's check interval (TIMEOUT_CHECK_MS), not Node's
 * 30 s one. The limit is shortened here (0.5 s) so that the case runs in a moment.
 */
import { connect } from 'node:net';
import { newStoreLocation, startServer, type StoreLocation, type TestServer } from './service-harness';

describe('given a client that stalls in its headers', () => {
  let location: StoreLocation;
  let server: TestServer;

  beforeAll(async () => {
    location = newStoreLocation('sqlite');
    server = await startServer(location.env, { timeouts: { headersMs: 500 } });
  });

  afterAll(async () => {
    await server?.close();
    await location?.remove();
  });

  it('then it gets 408 with a malformed body and the connection is closed, long before 30 s', async () => {
    const { port } = new URL(server.url);
    const answer = await new Promise<string>((resolve, reject) => {
      let got = '';
      const socket = connect(Number(port), '127.0.0.1', () => socket.write('GET /health HTTP/1.1\r\nhost: x\r\nx-partial: '));
      socket.on('data', (d) => (got += d.toString('latin1')));
      socket.on('close', () => resolve(got));
      socket.on('error', reject);
      // Far above the 0.5 s limit and its 1 s check, far below Node's own 30 s check.
      setTimeout(() => {
        socket.destroy();
        reject(new Error(`still open after 10 s; got ${JSON.stringify(got)}`));
      }, 10_000).unref();
    });
    const [head, body] = answer.split('\r\n\r\n');
    expect(head.split('\r\n')[0]).toBe('HTTP/1.1 408 Request Timeout');
    expect(JSON.parse(body)).toEqual({ error: 'malformed', message: 'the request was not received in time' });
  });
});
