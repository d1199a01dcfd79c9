import fc from 'fast-check';
import { b64uDecode, b64uEncode, canonical, isB64u } from './encoding';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Canonical base64url by its definition: the url alphabet, no padding, unused trailing bits zero. */
function canonicalB64u(text: string): boolean {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return false;
  const rem = text.length % 4;
  if (rem === 0) return true;
  const last = ALPHABET.indexOf(text[text.length - 1]);
  return (last & (rem === 2 ? 0x0f : 0x03)) === 0;
}

describe('isB64u', () => {
  // Short texts take the regex, long ones (over 256 characters) the native round trip.
  const lengths = fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 250, max: 2000 }));

  it('given the encoding of any bytes, then it is canonical, and decodes to its length', () => {
    fc.assert(
      fc.property(lengths, (n) => {
        const bytes = Buffer.alloc(n, n % 251);
        const text = b64uEncode(bytes);
        expect(isB64u(text)).toBe(true);
        expect(isB64u(text, n)).toBe(true);
        expect(isB64u(text, n + 1)).toBe(false);
        expect(b64uDecode(text, n)?.equals(bytes)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('given any text near base64url, short or long, then it agrees with the definition', () => {
    const near = fc
      .tuple(
        fc.integer({ min: 0, max: 1500 }),
        fc.array(fc.tuple(fc.nat(), fc.constantFrom('+', '/', '=', ' ', '\n', 'é', '\u{1F600}', 'A', 'B', '_', '-', '.')), { maxLength: 3 }),
      )
      .map(([n, edits]) => {
        let text = b64uEncode(Buffer.alloc(n, 7)) + (n % 3 === 0 ? '' : 'Q'); // sometimes bits left over
        for (const [at, c] of edits) {
          const i = at % (text.length + 1);
          text = text.slice(0, i) + c + text.slice(i + 1);
        }
        return text;
      });
    fc.assert(
      fc.property(near, (text) => expect(isB64u(text)).toBe(canonicalB64u(text))),
      { numRuns: 2000 },
    );
  });

  it.each([
    ['padding', b64uEncode(Buffer.alloc(400, 1)) + '='],
    ['the standard alphabet', b64uEncode(Buffer.alloc(400, 0xfb)).replace(/-/g, '+')],
    ['unused bits set', b64uEncode(Buffer.alloc(401, 0)).slice(0, -1) + 'B'],
    ['one character too many', b64uEncode(Buffer.alloc(399, 0)) + 'A'],
    ['a line break', b64uEncode(Buffer.alloc(400, 2)).replace(/^(.{100})/, '$1\n')],
  ])('refuses a long text with %s', (_name, text) => {
    expect(text.length).toBeGreaterThan(256);
    expect(isB64u(text)).toBe(false);
  });
});

describe('canonical', () => {
  it('given a string with a lone surrogate, then refused: no strict parser, no recipient, could read the text', () => {
    for (const bad of ['\ud83d', 'a\udc00b', '\\\ud800']) expect(() => canonical({ text: bad })).toThrow(/lone surrogate/);
    expect(() => canonical({ [`k\ud800`]: 1 })).toThrow(/lone surrogate/);
  });

  it('given well-formed text, escapes that look alike included, then its canonical form', () => {
    expect(canonical({ text: '\ud83d\ude00' })).toBe('{"text":"😀"}');
    expect(canonical({ text: '\\ud83d' })).toBe('{"text":"\\\\ud83d"}');
    expect(canonical({ text: '\\\\ud800', c: '\u0001' })).toBe('{"c":"\\u0001","text":"\\\\\\\\ud800"}');
  });
});
