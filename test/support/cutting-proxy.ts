/**
 * A TCP proxy on loopback in front of a real server that can lose one answer: armed, it
 * forwards the next request whose first line starts with `requestPrefix`, lets the server
 * handle it, and closes the client's connection when the answer starts instead of passing
 * it on. What a client sees when the network fails after the server has acted.
 */
import { AddressInfo, createServer, connect, Server, Socket } from 'node:net';

export class CuttingProxy {
  private server: Server | null = null;
  private armed: string | null = null;
  private readonly sockets = new Set<Socket>();
  /** How many answers were cut. */
  cut = 0;
  url = '';

  async start(upstream: string): Promise<void> {
    const { hostname, port } = new URL(upstream);
    this.server = createServer((client) => {
      const up = connect(Number(port), hostname);
      this.sockets.add(client).add(up);
      let cutting = false;
      client.on('data', (chunk) => {
        if (this.armed && chunk.toString('latin1').startsWith(this.armed)) {
          this.armed = null;
          cutting = true;
        }
        up.write(chunk);
      });
      up.on('data', (chunk) => {
        if (!cutting) return void client.write(chunk);
        this.cut++;
        client.destroy();
        up.destroy();
      });
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

  /** Loses the answer to the next request that starts with `requestPrefix` (e.g. `POST /v1/`). */
  cutNextAnswer(requestPrefix: string): void {
    this.armed = requestPrefix;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
