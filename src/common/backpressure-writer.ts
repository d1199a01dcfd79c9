import type { ServerResponse } from 'node:http';

/** How long a client may leave its socket full before it is dropped. */
export const DEFAULT_STALL_MS = 30_000;

/**
 * Writes to a response honouring back-pressure: when the socket buffer is full it waits for
 * 'drain' before the caller produces more, so memory per client stays bounded by one chunk
 * plus the socket's high-water mark. A client that does not drain within `stallMs` is
 * disconnected. Resolves false when the connection is gone (the caller stops reading).
 */
export class BackpressureWriter {
  constructor(
    private readonly res: ServerResponse,
    private readonly stallMs = DEFAULT_STALL_MS,
  ) {}

  get open(): boolean {
    return !this.res.destroyed && !this.res.writableEnded;
  }

  async write(chunk: string): Promise<boolean> {
    if (!this.open) return false;
    if (this.res.write(chunk)) return true;
    return this.drained();
  }

  private drained(): Promise<boolean> {
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        this.res.off('drain', onDrain);
        this.res.off('close', onClose);
        resolve(ok);
      };
      const onDrain = () => done(true);
      const onClose = () => done(false);
      const timer = setTimeout(() => {
        this.res.destroy();
        done(false);
      }, this.stallMs);
      this.res.on('drain', onDrain);
      this.res.on('close', onClose);
    });
  }
}

/** Sends lines (`application/x-ndjson`) from an async source, page by page as the client reads. */
export async function sendNdjson(res: ServerResponse, lines: AsyncIterable<string>): Promise<void> {
  res.statusCode = 200;
  res.setHeader('content-type', 'application/x-ndjson; charset=utf-8');
  const writer = new BackpressureWriter(res);
  for await (const line of lines) {
    if (!(await writer.write(line + '\n'))) return;
  }
  res.end();
}
