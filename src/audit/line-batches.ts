/**
 * NDJSON bytes in, batches of whole lines out, with bounded memory: a batch is cut at the
 * last newline once enough bytes have come, and only a partial last line is carried over.
 */

/** A batch of about this many bytes goes to a worker at once (a few dozen envelopes). */
export const BATCH_BYTES = 64 * 1024;
/** A line longer than this makes the input unusable (DESIGN.md caps envelopes far below). */
export const MAX_LINE_BYTES = 64 * 1024 * 1024;

export class UnusableInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnusableInputError';
  }
}

/** Lines split at "\n" only, as LogVerifier does; empty lines are dropped (it skips them too). */
export function splitLines(bytes: Buffer): Buffer[] {
  const lines: Buffer[] = [];
  let start = 0;
  for (;;) {
    const nl = bytes.indexOf(0x0a, start);
    const end = nl < 0 ? bytes.length : nl;
    if (end > start) lines.push(bytes.subarray(start, end));
    if (nl < 0) return lines;
    start = nl + 1;
  }
}

/** Regroups a byte stream into batches of whole lines (the last may lack its newline). */
export async function* lineBatches(
  chunks: AsyncIterable<Uint8Array>,
  batchBytes = BATCH_BYTES,
  maxLineBytes = MAX_LINE_BYTES,
): AsyncGenerator<Buffer> {
  let parts: Buffer[] = [];
  let size = 0;
  // Bytes carried since the last newline: one partial line, which must stay bounded.
  let partial = 0;
  for await (const chunk of chunks) {
    const buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const nl = buf.lastIndexOf(0x0a);
    // Every line is measured: the one this chunk ends (the carried bytes and those before its
    // first newline), those wholly within it, and the one it leaves partial.
    if (nl >= 0 && (partial + buf.indexOf(0x0a) > maxLineBytes || (buf.length > maxLineBytes && longestLine(buf, nl) > maxLineBytes))) {
      throw new UnusableInputError(`a line is longer than ${maxLineBytes} bytes`);
    }
    partial = nl < 0 ? partial + buf.length : buf.length - nl - 1;
    if (partial > maxLineBytes) throw new UnusableInputError(`a line is longer than ${maxLineBytes} bytes`);
    parts.push(buf);
    size += buf.length;
    if (nl < 0 || size < batchBytes) continue;
    parts[parts.length - 1] = buf.subarray(0, nl + 1);
    yield Buffer.concat(parts, size - partial);
    // Copied, so that the batch just handed on is not kept alive by the carried remainder.
    parts = partial ? [Buffer.from(buf.subarray(nl + 1))] : [];
    size = partial;
  }
  if (size > 0) yield Buffer.concat(parts, size);
}

/** The longest line wholly within `buf`, between its newlines up to the last (at `lastNl`). */
function longestLine(buf: Buffer, lastNl: number): number {
  let longest = 0;
  for (let start = buf.indexOf(0x0a) + 1; start <= lastNl; ) {
    const end = buf.indexOf(0x0a, start);
    longest = Math.max(longest, end - start);
    start = end + 1;
  }
  return longest;
}
