import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { PARLEY_CONFIG, type ParleyConfig } from '../config/parley-config';

/** How often the drain looks whether the requests in flight are all answered. */
const POLL_MS = 25;

/**
 * A graceful stop: on shutdown the server stops accepting connections and the requests in
 * flight (an append that may already be committed among them) are answered before Nest closes
 * the rest, for at most PARLEY_SHUTDOWN_GRACE_S; then those left are cut off. Without it, a
 * client other than our SDK saw a reset for an append that was stored. Live streams are not
 * waited for (they never end by themselves; the SDK resumes at its Last-Event-ID).
 *
 * Its destroy hook runs first of all: Nest calls them from the root module outwards, and this
 * provider belongs to AppModule, so the store, projections and notary are all still up.
 */
@Injectable()
export class HttpDrain implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('HttpDrain');
  /**
   * Of each open connection, its responses not yet closed, oldest first (pipelined requests
   * queue behind): the newest is the one to end the connection when draining. A connection's
   * entry goes with the connection: a response queued behind another is never closed when the
   * client goes away meanwhile, and must not be waited for, nor held, for ever.
   */
  private readonly connections = new Map<Socket, ServerResponse[]>();
  /** Responses the drain made the last of their connection. */
  private readonly ending = new WeakSet<ServerResponse>();
  private draining = false;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(PARLEY_CONFIG) private readonly config: ParleyConfig,
  ) {}

  onApplicationBootstrap(): void {
    // First of the server's listeners, before Express handles the request: see track.
    // (An application context without HTTP, a script, has no server to drain.)
    this.server()?.prependListener('request', this.track);
  }

  async onModuleDestroy(): Promise<void> {
    const server = this.server();
    if (!server?.listening) return;
    this.draining = true;
    // No new connections; Node also closes the idle keep-alive ones.
    server.close();
    for (const queue of this.connections.values()) if (queue.length) this.endConnectionWith(queue[queue.length - 1]);
    const graceMs = this.config.PARLEY_SHUTDOWN_GRACE_S * 1000;
    const count = this.awaited().length;
    if (count === 0) return;
    this.logger.log(`stopping: answering ${count} request(s) in flight first (at most ${graceMs / 1000} s)`);
    const deadline = Date.now() + graceMs;
    while (this.awaited().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, POLL_MS));
    const left = this.awaited();
    if (left.length === 0) return;
    this.logger.warn(`stopping: ${left.length} request(s) still in flight after ${graceMs / 1000} s are cut off`);
    // By connection: a response queued behind another has no socket of its own yet.
    for (const [socket, queue] of this.connections) if (queue.some((res) => left.includes(res))) socket.destroy();
  }

  private readonly track = (req: IncomingMessage, res: ServerResponse): void => {
    const socket = req.socket;
    let queue = this.connections.get(socket);
    const before = queue?.[queue.length - 1];
    if (this.draining && before?.headersSent && this.ending.has(before)) {
      // Pipelined behind a response that told the client this connection ends: it could never
      // be answered, so it must not be carried out either (an append stored, its client none the wiser).
      req.destroy();
      socket.destroy();
      return;
    }
    if (!queue) {
      queue = [];
      this.connections.set(socket, queue);
      socket.once('close', () => this.connections.delete(socket)); // once a connection, not once a request
    }
    queue.push(res);
    if (this.draining) {
      // This one ends the connection now, not the one before it (whose answer would cut this one off).
      if (before && !before.headersSent && this.ending.delete(before)) before.shouldKeepAlive = true;
      this.endConnectionWith(res);
    }
    res.once('close', () => {
      const i = queue.indexOf(res);
      if (i >= 0) queue.splice(i, 1);
    });
  };

  /** The requests the drain waits for: all in flight but live streams (which say so by their content type). */
  private awaited(): ServerResponse[] {
    return [...this.connections.values()].flat().filter((res) => !String(res.getHeader('content-type') ?? '').startsWith('text/event-stream'));
  }

  /** The connection ends with this response, so the client does not send another on it. */
  private endConnectionWith(res: ServerResponse): void {
    if (res.headersSent || !res.shouldKeepAlive) return;
    res.shouldKeepAlive = false;
    this.ending.add(res);
  }

  private server(): Server | undefined {
    return this.adapterHost.httpAdapter?.getHttpServer() as Server | undefined;
  }
}
