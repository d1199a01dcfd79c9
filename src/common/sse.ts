import type { ServerResponse } from 'node:http';
import { BackpressureWriter, DEFAULT_STALL_MS } from './backpressure-writer';

export const HEARTBEAT_MS = 15_000;

export interface SseEvent {
  id: string;
  event: string;
  /** One line (stored envelopes are single-line JSON). */
  data: string;
}

/**
 * Streams Server-Sent Events from a pull-based source with back-pressure (the source is not
 * asked for the next event while the client's socket is full), a comment heartbeat every 15 s
 * while idle, and an end when the client goes away (`abort` is called so the source stops).
 */
export async function sendSse(
  res: ServerResponse,
  events: AsyncIterable<SseEvent>,
  abort: () => void,
  { stallMs = DEFAULT_STALL_MS, heartbeatMs = HEARTBEAT_MS }: { stallMs?: number; heartbeatMs?: number } = {},
): Promise<void> {
  res.statusCode = 200;
  res.setHeader('content-type', 'text/event-stream; charset=utf-8');
  res.setHeader('cache-control', 'no-cache, no-transform');
  res.setHeader('connection', 'keep-alive');
  res.setHeader('x-accel-buffering', 'no');
  res.flushHeaders();
  const writer = new BackpressureWriter(res, stallMs);
  res.on('close', abort);
  // A client gone before this point closed the response already, and 'close' does not come
  // again: without this, a caught-up stream would poll for nobody, holding its place, for ever.
  if (!writer.open || res.socket?.destroyed !== false) abort();
  const heartbeat = setInterval(() => {
    if (!writer.open) abort(); // the same, noticed later: the socket went without a 'close' seen
    else if (!res.writableNeedDrain) res.write(': heartbeat\n\n');
  }, heartbeatMs);
  try {
    for await (const e of events) {
      if (!(await writer.write(`id: ${e.id}\nevent: ${e.event}\ndata: ${e.data}\n\n`))) break;
    }
  } finally {
    clearInterval(heartbeat);
    abort();
    if (writer.open) res.end();
  }
}
