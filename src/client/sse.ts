/** A Server-Sent Events parser (WHATWG HTML §9.2.6), fed text chunks as they arrive. */
import { UnexpectedResponseError } from './errors';

/** A server asking for a longer reconnection delay than this gets this one. */
export const MAX_RETRY_MS = 60_000;
/** Longest line or event kept (characters): above the largest envelope a server may accept (64 MiB). */
export const MAX_SSE_PENDING = 80 * 2 ** 20;

export interface SseMessage {
  id: string | null;
  event: string;
  data: string;
}

export class SseParser {
  private buffer = '';
  private data: string[] = [];
  private event = '';
  private hasData = false;
  /** The last `id:` seen (what Last-Event-ID carries on reconnect). */
  lastEventId: string | null = null;
  /** The last `retry:` in ms (at most MAX_RETRY_MS), if the server sent one. */
  retryMs: number | null = null;
  private dataLength = 0;

  constructor(private readonly maxPending = MAX_SSE_PENDING) {}

  /** Feeds a chunk; returns the messages it completed. A line or event past the bound is an UnexpectedResponseError. */
  push(chunk: string): SseMessage[] {
    this.buffer += chunk;
    if (this.buffer.length > this.maxPending) throw new UnexpectedResponseError(`the server sent an event-stream line longer than ${this.maxPending} characters`);
    const out: SseMessage[] = [];
    let idx: number;
    while ((idx = this.buffer.search(/\r\n|\r|\n/)) >= 0) {
      // A lone \r at the end may be the first half of \r\n: wait for more.
      if (this.buffer[idx] === '\r' && idx === this.buffer.length - 1) break;
      const line = this.buffer.slice(0, idx);
      this.buffer = this.buffer.slice(idx + (this.buffer.startsWith('\r\n', idx) ? 2 : 1));
      const msg = this.line(line);
      if (msg) out.push(msg);
    }
    return out;
  }

  private line(line: string): SseMessage | null {
    if (line === '') {
      if (!this.hasData) {
        this.event = '';
        return null;
      }
      const msg = { id: this.lastEventId, event: this.event || 'message', data: this.data.join('\n') };
      this.data = [];
      this.dataLength = 0;
      this.hasData = false;
      this.event = '';
      return msg;
    }
    if (line.startsWith(':')) return null; // a comment (keep-alive)
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'data':
        this.dataLength += value.length + 1;
        if (this.dataLength > this.maxPending) throw new UnexpectedResponseError(`the server sent an event longer than ${this.maxPending} characters`);
        this.data.push(value);
        this.hasData = true;
        break;
      case 'event':
        this.event = value;
        break;
      case 'id':
        if (!value.includes('\0')) this.lastEventId = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.retryMs = Math.min(Number(value), MAX_RETRY_MS);
        break;
    }
    return null;
  }
}
