/**
 * A TCP proxy on loopback in front of a real server, for the faults a client must survive,
 * made to happen rather than hoped for. Armed, it acts on the next request(s) whose first
 * line starts with a prefix (`POST /v1/channels/`, say):
 * - cutNextAnswer: forwards the request, lets the server act, and closes the client's
 *   connection when the answer starts — the network failing after the server has acted;
 * - replaceNextAnswer: the same, but answers a status of its own instead — a gateway timing
 *   out after the server has acted, or a server lying about what it did;
 * - fakeNextAnswer: answers a status of its own and never forwards the request — a server
 *   acknowledging what it then loses (a rollback, a restore from an older backup);
 * - rivalBefore: holds the request, runs `rival` (another client's append, straight to the
 *   server), then passes it on — a race lost for certain: the client's head is stale.
 * Armings queue: each applies once the one before it has acted (a cut answer, then a rival
 * before the client's next request). Unarmed, it relays any TCP protocol (PostgreSQL's too),
 * and `down()` / `up()` take it away and bring it back, as a database host restarting, failing
 * over or cut off by the network.
 */
import { AddressInfo, connect, createServer, Server, Socket } from 'node:net';

type Arming =
  | { kind: 'cut'; prefix: string }
  | { kind: 'replace'; prefix: string; status: number; json?: object }
  | { kind: 'fake'; prefix: string; status: number; json: object }
  | { kind: 'rival'; prefix: string; rival: () => Promise<void>; times: number };

export class FaultProxy {
  private server: Server | null = null;
  private readonly armings: Arming[] = [];
  private readonly sockets = new Set<Socket>();
  /** How many answers were cut. */
  cut = 0;
  /** The first chunk of every request relayed or faked (its request line and headers, as sent), in order. */
  readonly requests: string[] = [];
  /** How many answers were replaced. */
  replaced = 0;
  /** How many requests were answered here and never forwarded. */
  faked = 0;
  /** How many requests were held for a rival. */
  held = 0;
  url = '';

  /** Client connections relayed so far. */
  connections = 0;
  private upstream = { host: '', port: 0 };
  private port = 0;

  async start(upstream: string): Promise<void> {
    const { hostname, port } = new URL(upstream);
    this.upstream = { host: hostname, port: Number(port) };
    await this.listen(0);
  }

  /** Every relayed connection reset (the peer sees ECONNRESET), and new ones refused until up(). */
  async down(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of this.sockets) s.resetAndDestroy();
    this.sockets.clear();
    await closed;
  }

  /** Listening again, on the same port. */
  async up(): Promise<void> {
    if (!this.server) await this.listen(this.port);
  }

  private async listen(port: number): Promise<void> {
    const server = createServer((client) => this.relay(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    this.url = `http://127.0.0.1:${this.port}`;
  }

  private relay(client: Socket): void {
    this.connections++;
    const up = connect(this.upstream.port, this.upstream.host);
    this.sockets.add(client).add(up);
    let cutting = false;
    let replaceWith: { status: number; json?: object } | null = null;
    let swallowing = false;
    client.on('data', (chunk) => {
      if (swallowing) return; // the rest of a faked request's body
      const text = chunk.toString('latin1');
      if (/^[A-Z]+ \S+ HTTP\/1\.1\r\n/.test(text)) this.requests.push(text.split('\r\n\r\n')[0]);
      const armed = this.armings[0];
      if (!armed || !chunk.toString('latin1').startsWith(armed.prefix)) return void up.write(chunk);
      if (armed.kind === 'fake') {
        this.armings.shift();
        this.faked++;
        swallowing = true;
        up.destroy();
        return void client.end(answer(armed.status, armed.json));
      }
      if (armed.kind === 'cut' || armed.kind === 'replace') {
        this.armings.shift();
        if (armed.kind === 'cut') cutting = true;
        else replaceWith = { status: armed.status, json: armed.json };
        return void up.write(chunk);
      }
      if (--armed.times === 0) this.armings.shift();
      this.held++;
      client.pause(); // what follows (the body, if apart) waits behind this chunk
      armed
        .rival()
        .catch((err: unknown) => process.stderr.write(`rival failed: ${(err as Error).message}\n`))
        .finally(() => {
          up.write(chunk);
          client.resume();
        });
    });
    up.on('data', (chunk) => {
      if (replaceWith !== null) {
        this.replaced++;
        client.end(answer(replaceWith.status, replaceWith.json));
        replaceWith = null;
        return void up.destroy();
      }
      if (!cutting) return void client.write(chunk);
      this.cut++;
      client.destroy();
      up.destroy();
    });
    const close = () => {
      client.destroy();
      up.destroy();
      this.sockets.delete(client);
      this.sockets.delete(up);
    };
    client.on('close', close).on('error', close);
    up.on('close', close).on('error', close);
  }

  /** Loses the answer to the next request that starts with `requestPrefix`. */
  cutNextAnswer(requestPrefix: string): void {
    this.armings.push({ kind: 'cut', prefix: requestPrefix });
  }

  /**
   * Answers the next request that starts with `requestPrefix` with `status` once the server
   * has answered it: a gateway's text, or `json` — a lying server's refusal of what it stored.
   */
  replaceNextAnswer(requestPrefix: string, status: number, json?: object): void {
    this.armings.push({ kind: 'replace', prefix: requestPrefix, status, json });
  }

  /** Answers the next request that starts with `requestPrefix` with `status` and `json` itself: the server never sees it. */
  fakeNextAnswer(requestPrefix: string, status: number, json: object): void {
    this.armings.push({ kind: 'fake', prefix: requestPrefix, status, json });
  }

  /** Before each of the next `times` requests starting with `requestPrefix` goes on, `rival` runs. */
  rivalBefore(requestPrefix: string, rival: () => Promise<void>, times = 1): void {
    this.armings.push({ kind: 'rival', prefix: requestPrefix, rival, times });
  }

  disarm(): void {
    this.armings.length = 0;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** A whole HTTP/1.1 answer that closes its connection: `json`, or a gateway's text. */
function answer(status: number, json?: object): string {
  const [type, body] = json ? ['application/json', JSON.stringify(json)] : ['text/plain', 'the gateway gave up'];
  return `HTTP/1.1 ${status} Replaced\r\ncontent-type: ${type}\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`;
}
