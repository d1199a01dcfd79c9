/**
 * Splits a byte stream into NDJSON lines without decoding across chunk boundaries, so a
 * multi-byte character split between two chunks survives; each line is strictly parsed
 * by the caller (parseStrictJsonBytes) and its exact bytes kept for export.
 */
import { UnexpectedResponseError } from './errors';

/** Longest line kept (bytes): above the largest envelope a server may accept (64 MiB). */
export const MAX_NDJSON_LINE = 80 * 2 ** 20;

export async function* ndjsonLines(chunks: AsyncIterable<Uint8Array>, maxLineBytes = MAX_NDJSON_LINE): AsyncGenerator<Buffer> {
  let pending: Buffer = Buffer.alloc(0);
  for await (const chunk of chunks) {
    pending = pending.length ? Buffer.concat([pending, Buffer.from(chunk)]) : Buffer.from(chunk);
    let nl: number;
    while ((nl = pending.indexOf(0x0a)) >= 0) {
      const line = stripCr(pending.subarray(0, nl));
      pending = pending.subarray(nl + 1);
      if (line.length) yield line;
    }
    if (pending.length > maxLineBytes) throw new UnexpectedResponseError(`the server sent a line longer than ${maxLineBytes} bytes`);
  }
  const last = stripCr(pending);
  if (last.length) yield last;
}

function stripCr(line: Buffer): Buffer {
  return line.length && line[line.length - 1] === 0x0d ? line.subarray(0, line.length - 1) : line;
}
