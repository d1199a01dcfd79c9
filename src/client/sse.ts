/** A Server-Sent Events parser (WHATWG HTML §9.2.6), fed text chunks as they arrive. */
import { UnexpectedResponseError } from './errors';
import { MAX_NDJSON_LINE } from './ndjson';

/** A server asking for a longer reconnection delay than this gets this one. */
export const MAX_RETRY_MS = 60_000;
/**
 * A server asking for a shorter one gets this one: the SDK's own default wait, so a server
 * may slow its followers down but never make them reconnect faster than they would unasked
 * (`retry: 0` would be a loop of signed requests). A Parley server sends no `retry:`.
 */
export const MIN_RETRY_MS = 1000;
/** Longest line (comments too) or event kept, in characters: an envelope as NDJSON serves it, with room for `data: `. */
export const MAX_SSE_PENDING = MAX_NDJSON_LINE;

export interface SseMessage {
  id: string | null;
  event: string;
  data: string;
}

export class SseParser {
  /** The line not yet ended, as the chunks it came in (joined once, when it ends). */
  private parts: string[] = [];
  private pending = 0;
  /** The last chunk ended with CR: a LF opening the next one is the rest of that CRLF. */
  private afterCr = false;
  private data: string[] = [];
  private event = '';
  private hasData = false;
  /** The last `id:` seen (what Last-Event-ID carries on reconnect). */
  lastEventId: string | null = null;
  /** The last `retry:` in ms (between MIN_RETRY_MS and MAX_RETRY_MS), if the server sent one. */
  retryMs: number | null = null;
  private dataLength = 0;

  constructor(private readonly maxPending = MAX_SSE_PENDING) {}

  /**
   * Feeds a chunk; returns the messages it completed. Only the chunk is searched for line
   * ends, so a long line costs time in proportion to its length, not to its square. A line
   * or event past the bound is an UnexpectedResponseError.
   */
  push(chunk: string): SseMessage[] {
    const out: SseMessage[] = [];
    let start = this.afterCr && chunk.startsWith('\n') ? 1 : 0;
    if (chunk.length) this.afterCr = false;
    const ends = /\r\n|\r|\n/g;
    ends.lastIndex = start;
    let m: RegExpExecArray | null;
    while ((m = ends.exec(chunk))) {
      const line = this.take(chunk.slice(start, m.index));
      start = m.index + m[0].length;
      if (m[0] === '\r' && start === chunk.length) this.afterCr = true;
      const msg = this.line(line);
      if (msg) out.push(msg);
    }
    if (start < chunk.length) this.keep(chunk.slice(start));
    return out;
  }

  /** The line that `tail` ends. */
  private take(tail: string): string {
    this.checkLine(this.pending + tail.length);
    const line = this.parts.length ? this.parts.join('') + tail : tail;
    this.parts = [];
    this.pending = 0;
    return line;
  }

  private keep(part: string): void {
    this.parts.push(part);
    this.pending += part.length;
    this.checkLine(this.pending);
  }

  private checkLine(length: number): void {
    if (length > this.maxPending) throw new UnexpectedResponseError(`the server sent an event-stream line longer than ${this.maxPending} characters`);
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
        if (/^\d+$/.test(value)) this.retryMs = Math.max(MIN_RETRY_MS, Math.min(Number(value), MAX_RETRY_MS));
        break;
    }
    return null;
  }
}
