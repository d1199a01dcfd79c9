import { lineBatches, splitLines, UnusableInputError } from './line-batches';

async function* chunksOf(text: string, size: number): AsyncGenerator<Uint8Array> {
  const bytes = Buffer.from(text);
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function collect(gen: AsyncIterable<Buffer>): Promise<string[]> {
  const out: string[] = [];
  for await (const b of gen) out.push(b.toString());
  return out;
}

describe('lineBatches', () => {
  const lines = Array.from({ length: 50 }, (_, i) => `{"n":${i},"pad":"${'x'.repeat(i)}"}`);
  const text = lines.join('\n') + '\n';

  it.each([1, 7, 64, 300])('given chunks of %i bytes, then batches hold whole lines and together the exact input', async (size) => {
    const batches = await collect(lineBatches(chunksOf(text, size), 100));
    expect(batches.join('')).toBe(text);
    for (const b of batches) expect(b.endsWith('\n')).toBe(true);
    expect(batches.length).toBeGreaterThan(1);
  });

  it('given a last line without a newline, then it comes last as it is', async () => {
    const batches = await collect(lineBatches(chunksOf('{"a":1}\n{"b":2}', 3), 4));
    expect(batches.join('')).toBe('{"a":1}\n{"b":2}');
  });

  it('given a line longer than the limit, then the input is unusable', async () => {
    await expect(collect(lineBatches(chunksOf('x'.repeat(1000) + '\n', 100), 10, 500))).rejects.toThrow(UnusableInputError);
  });

  it.each([
    ['ending in the chunk after the one it began in', '{"a":1}\n' + 'x'.repeat(12) + '\n{"b":2}\n', 8],
    ['wholly within one chunk', '{"a":1}\n' + 'x'.repeat(12) + '\n{"b":2}\n', 64],
  ])('given a line longer than the limit %s, then the input is unusable', async (_where, input, size) => {
    await expect(collect(lineBatches(chunksOf(input, size), 4, 10))).rejects.toThrow(UnusableInputError);
    await expect(collect(lineBatches(chunksOf(input, size), 4, 12))).resolves.toEqual(expect.any(Array)); // at the limit: usable
  });
});

describe('splitLines', () => {
  it('given empty lines and a carriage return, then only non-empty lines, split at \\n alone', () => {
    expect(splitLines(Buffer.from('a\n\nb\r\n\nc')).map(String)).toEqual(['a', 'b\r', 'c']);
  });
});
