/**
 * Splits a byte stream into NDJSON lines without decoding across chunk boundaries, so a
 * multi-byte character split between two chunks survives; each line is strictly parsed
 * by the caller (parseStrictJsonBytes) and its exact bytes kept for export.
 */
import { MAX_ENVELOPE_BYTES } from '../protocol';
import { UnexpectedResponseError } from './errors';

/**
 * Longest line kept (bytes): an envelope is served as one line, exactly as stored; a little
 * slack for a CR. The largest any server may accept, since the client cannot know its setting.
 */
export const MAX_NDJSON_LINE = MAX_ENVELOPE_BYTES + 64 * 1024;

/**
 * The lines of `chunks`. Each chunk is searched once for newlines, and the bytes of a line
 * not yet ended are kept as the chunks they came in (joined once, when the line ends), so a
 * long line costs time in proportion to its length, not to its square. A line past
 * `maxLineBytes` is an UnexpectedResponseError, not a growing buffer. Empty lines are
 * skipped unless `keepEmpty` (a log's reader must see one where an event should stand).
 */
export async function* ndjsonLines(
  chunks: AsyncIterable<Uint8Array>,
  maxLineBytes = MAX_NDJSON_LINE,
  { keepEmpty = false }: { keepEmpty?: boolean } = {},
): AsyncGenerator<Buffer> {
  let parts: Buffer[] = [];
  let pending = 0;
  for await (const chunk of chunks) {
    let rest = Buffer.from(chunk); // a copy: the caller keeps lines, the source may reuse its chunks
    let nl: number;
    while ((nl = rest.indexOf(0x0a)) >= 0) {
      checkLength(pending + nl, maxLineBytes);
      parts.push(rest.subarray(0, nl));
      const line = stripCr(parts.length === 1 ? parts[0] : Buffer.concat(parts, pending + nl));
      parts = [];
      pending = 0;
      rest = rest.subarray(nl + 1);
      if (line.length || keepEmpty) yield line;
    }
    if (rest.length) {
      parts.push(rest);
      pending += rest.length;
      checkLength(pending, maxLineBytes);
    }
  }
  const last = stripCr(Buffer.concat(parts, pending));
  if (last.length) yield last;
}

function checkLength(bytes: number, maxLineBytes: number): void {
  if (bytes > maxLineBytes) throw new UnexpectedResponseError(`the server sent a line longer than ${maxLineBytes} bytes (the largest envelope a server may accept is ${MAX_ENVELOPE_BYTES})`);
}

function stripCr(line: Buffer): Buffer {
  return line.length && line[line.length - 1] === 0x0d ? line.subarray(0, line.length - 1) : line;
}
