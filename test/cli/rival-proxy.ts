/**
 * A TCP proxy on loopback in front of a real server that lets a rival write first: armed,
 * it holds the next request (or the next few) whose first line starts with `requestPrefix` (a client's
 * append, say), runs `rival` (another client's append, straight to the server), and only
 * then passes the held request on. The client's head is then stale for certain: what a race
 * looks like when it is lost, made to happen rather than hoped for.
 */
import { AddressInfo, connect, createServer, Server, Socket } from 'node:net';

export class RivalProxy {
  private server: Server | null = null;
  private armed: { prefix: string; rival: () => Promise<void>; times: number } | null = null;
  private readonly sockets = new Set<Socket>();
  /** How many requests were held for a rival. */
  held = 0;
  url = '';

  async start(upstream: string): Promise<void> {
    const { hostname, port } = new URL(upstream);
    this.server = createServer((client) => {
      const up = connect(Number(port), hostname);
      this.sockets.add(client).add(up);
      client.on('data', (chunk) => {
        const armed = this.armed;
        if (!armed || !chunk.toString('latin1').startsWith(armed.prefix)) return void up.write(chunk);
        if (--armed.times === 0) this.armed = null;
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
      up.on('data', (chunk) => client.write(chunk));
      const close = () => {
        client.destroy();
        up.destroy();
      };
      client.on('close', close).on('error', close);
      up.on('close', close).on('error', close);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Before each of the next `times` requests starting with `requestPrefix` (e.g. `POST /v1/channels/`) goes on, `rival` runs. */
  rivalBefore(requestPrefix: string, rival: () => Promise<void>, times = 1): void {
    this.armed = { prefix: requestPrefix, rival, times };
  }

  disarm(): void {
    this.armed = null;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
