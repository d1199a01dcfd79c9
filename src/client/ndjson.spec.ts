import { UnexpectedResponseError } from './errors';
import { ndjsonLines } from './ndjson';

async function collect(chunks: Uint8Array[]): Promise<string[]> {
  const out: string[] = [];
  async function* source() {
    for (const c of chunks) yield c;
  }
  for await (const line of ndjsonLines(source())) out.push(line.toString('utf8'));
  return out;
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

  it('given an empty stream, then no lines', async () => {
    expect(await collect([])).toEqual([]);
  });
});
