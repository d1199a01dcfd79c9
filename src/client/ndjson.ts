/**
 * Splits a byte stream into NDJSON lines without decoding across chunk boundaries, so a
 * multi-byte character split between two chunks survives; each line is strictly parsed
 * by the caller (parseStrictJsonBytes) and its exact bytes kept for export.
 */
export async function* ndjsonLines(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Buffer> {
  let pending: Buffer = Buffer.alloc(0);
  for await (const chunk of chunks) {
    pending = pending.length ? Buffer.concat([pending, Buffer.from(chunk)]) : Buffer.from(chunk);
    let nl: number;
    while ((nl = pending.indexOf(0x0a)) >= 0) {
      const line = stripCr(pending.subarray(0, nl));
      pending = pending.subarray(nl + 1);
      if (line.length) yield line;
    }
  }
  const last = stripCr(pending);
  if (last.length) yield last;
}

function stripCr(line: Buffer): Buffer {
  return line.length && line[line.length - 1] === 0x0d ? line.subarray(0, line.length - 1) : line;
}
