import { UnexpectedResponseError } from './errors';
import { MAX_ENVELOPE_BYTES } from '../protocol';
import { MAX_NDJSON_LINE, ndjsonLines } from './ndjson';

async function collect(chunks: Uint8Array[]): Promise<string[]> {
  const out: string[] = [];
  async function* source() {
    for (const c of chunks) yield c;
  }
  for await (const line of ndjsonLines(source())) out.push(line.toString('utf8'));
  return out;
}

async function collectBounded(chunks: Uint8Array[], max: number): Promise<number> {
  let n = 0;
  async function* source() {
    for (const c of chunks) yield c;
  }
  for await (const _ of ndjsonLines(source(), max)) n++;
  return n;
}

describe('ndjsonLines', () => {
  it('given a multi-byte character split across chunks, then the line keeps its exact bytes', async () => {
    const bytes = Buffer.from('{"a":"é"}\n{"b":2}\r\n\n{"c":3}');
    const split = bytes.indexOf(0xa9); // the second byte of é
    expect(await collect([bytes.subarray(0, split), bytes.subarray(split)])).toEqual(['{"a":"é"}', '{"b":2}', '{"c":3}']);
  });

  it('given a line past the bound, then an UnexpectedResponseError, not a growing buffer', async () => {
    async function* endless() {
      for (let i = 0; i < 10; i++) yield Buffer.from('x'.repeat(50));
    }
    await expect((async () => {
      for await (const _ of ndjsonLines(endless(), 200)) void _;
    })()).rejects.toThrow(UnexpectedResponseError);
  });

  it('given a line that ends past the bound within one chunk, then an UnexpectedResponseError', async () => {
    await expect(collectBounded([Buffer.from('x'.repeat(300) + '\n')], 200)).rejects.toThrow('the server sent a line longer than 200 bytes');
  });

  it('given a 32 MiB line in 1 KiB chunks, then it is read in linear time: each chunk searched once, the line joined once', async () => {
    const chunk = Buffer.alloc(1024, 0x20);
    async function* long() {
      for (let i = 0; i < 32 * 1024; i++) yield chunk;
      yield Buffer.from('1\n2\n');
    }
    // Copying the pending bytes on every chunk, as before, is 512 GiB of copying here: minutes, not milliseconds.
    const lines: number[] = [];
    for await (const line of ndjsonLines(long(), 40 * 2 ** 20)) lines.push(line.length);
    expect(lines).toEqual([32 * 2 ** 20 + 1, 1]);
  }, 10_000);

  it('given the default bound, then it is above the largest envelope a server may be configured to accept (64 MiB)', () => {
    expect(MAX_ENVELOPE_BYTES).toBe(64 * 2 ** 20);
    expect(MAX_NDJSON_LINE).toBeGreaterThan(MAX_ENVELOPE_BYTES);
    expect(MAX_NDJSON_LINE).toBeLessThan(MAX_ENVELOPE_BYTES + 2 ** 20);
  });

  it('given an empty stream, then no lines', async () => {
    expect(await collect([])).toEqual([]);
  });
});
