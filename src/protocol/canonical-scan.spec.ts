import fc from 'fast-check';
import { canonical } from './encoding';
import { eventHash, envelopeForms, parseEnvelopeText, signingInput } from './envelope';
import { canonicalSigSpan, scanCanonical } from './canonical-scan';
import { parseStrictJson } from './strict-json';
import { NegotiationFixture } from './negotiation/negotiation.fixture';

// JSON values as the protocol has them: no floats, integers within 2^53-1.
const jsonValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.string({ unit: 'binary' }),
    fc.boolean(),
    fc.constant(null),
    fc.nat({ max: Number.MAX_SAFE_INTEGER }),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string({ unit: 'binary' }), tie('value'), { maxKeys: 4 }),
  ),
})).value;
const jsonObject = fc.dictionary(fc.string({ unit: 'binary' }), jsonValue, { maxKeys: 6 });

/** Canonical text of `objects` with one or two characters inserted somewhere: mostly near misses. */
const withInsertion = (objects: fc.Arbitrary<Record<string, unknown>>) =>
  fc.tuple(objects, fc.nat(), fc.string({ minLength: 1, maxLength: 2 })).map(([o, at, ins]) => {
    const t = canonical(o);
    const i = at % (t.length + 1);
    return t.slice(0, i) + ins + t.slice(i);
  });

const strictOrNull = (text: string) => {
  try {
    return { value: parseStrictJson(text) };
  } catch {
    return null;
  }
};

describe('scanCanonical (the fast path)', () => {
  it('given canonical text of any protocol-like object, then it agrees with the strict parser, or defers', () => {
    fc.assert(
      fc.property(jsonObject, (obj) => {
        const text = canonical(obj);
        const strict = strictOrNull(text);
        const scan = scanCanonical(text);
        if (scan) {
          expect(strict).not.toBeNull();
          expect(scan.canonical).toBe(text);
        }
        // Any compact or pretty spelling canonicalises to the same text.
        for (const spelling of [JSON.stringify(obj), JSON.stringify(obj, null, 2)]) {
          const other = scanCanonical(spelling);
          if (other) expect(other.canonical).toBe(text);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('never accepts what the strict parser rejects, and always agrees with canonicalize', () => {
    const texts = fc.oneof(
      fc.string(),
      jsonObject.map((o) => JSON.stringify(o, null, 1)),
      withInsertion(jsonObject),
    );
    fc.assert(
      fc.property(texts, (text) => {
        const scan = scanCanonical(text);
        if (!scan) return;
        const strict = strictOrNull(text);
        expect(strict).not.toBeNull();
        expect(scan.canonical).toBe(canonical(strict!.value));
      }),
      { numRuns: 2000 },
    );
  });

  it('given valid JSON without escapes or surrogates, then the plain mode scans exactly as the full one', () => {
    const texts = fc.oneof(
      jsonObject.map((o) => JSON.stringify(o)),
      jsonObject.map((o) => JSON.stringify(o, null, 1)),
      fc.tuple(jsonObject, fc.nat(), fc.string({ minLength: 1, maxLength: 2 })).map(([o, at, ins]) => {
        const t = JSON.stringify(o);
        const i = at % (t.length + 1);
        return t.slice(0, i) + ins + t.slice(i);
      }),
    );
    fc.assert(
      fc.property(texts, (text) => {
        if (text.includes('\\') || /[\ud800-\udfff]/.test(text)) return;
        try {
          JSON.parse(text);
        } catch {
          return;
        }
        expect(scanCanonical(text, true)).toEqual(scanCanonical(text));
      }),
      { numRuns: 2000 },
    );
  });

  it('given unsorted keys and whitespace, then the canonical text', () => {
    expect(scanCanonical('{ "b": [1, {"d":2,"c":"x"}], "a": true }')).toEqual({
      canonical: '{"a":true,"b":[1,{"c":"x","d":2}]}',
      unsigned: '{"a":true,"b":[1,{"c":"x","d":2}]}',
    });
    expect(scanCanonical('{"sig":"s","a":1}')!.unsigned).toBe('{"a":1}');
  });

  it.each([
    ['duplicate keys', '{"a":1,"a":1}'],
    ['duplicate keys out of order', '{"b":1,"a":2,"b":3}'],
    ['an escape in a key', '{"\\u0061":1}'],
    ['a needless escape', '{"a":"\\/"}'],
    ['a \\u escape for a printable character', '{"a":"\\u0041"}'],
    ['uppercase hex in an escape', '{"a":"\\u001F"}'],
    ['\\u000a instead of \\n', '{"a":"\\u000a"}'],
    ['a lone surrogate', '{"a":"\\ud800"}'],
    ['a leading zero', '{"a":01}'],
    ['a fraction', '{"a":1.5}'],
    ['trailing text', '{"a":1}x'],
    ['an array at the top', '[1]'],
  ])('refuses %s', (_name, text) => expect(scanCanonical(text)).toBeNull());
});

describe('canonicalSigSpan (text already canonical)', () => {
  const plainJson = (text: string) => {
    if (text.includes('\\') || /[\ud800-\udfff]/.test(text)) return false;
    try {
      JSON.parse(text);
      return true;
    } catch {
      return false;
    }
  };
  const withSig = fc.tuple(jsonObject, fc.option(fc.string({ unit: 'binary' }))).map(([o, sig]) => (sig === null ? o : { ...o, sig }));

  it('given any plain JSON text, then a span only for canonical text, and the text without it is canonical without "sig"', () => {
    const texts = fc.oneof(
      withSig.map((o) => canonical(o)),
      withSig.map((o) => JSON.stringify(o)),
      withSig.map((o) => JSON.stringify(o, null, 1)),
      withInsertion(withSig),
    );
    fc.assert(
      fc.property(texts, (text) => {
        if (!plainJson(text)) return;
        const span = canonicalSigSpan(text);
        const scan = scanCanonical(text, true);
        if (!span) {
          // Only the text that is not canonical, or that the scan defers too, has no span.
          expect(scan === null || scan.canonical !== text).toBe(true);
          return;
        }
        expect(scan).not.toBeNull();
        expect(text).toBe(scan!.canonical);
        expect(text.slice(0, span.start) + text.slice(span.end)).toBe(scan!.unsigned);
      }),
      { numRuns: 3000 },
    );
  });

  it.each([
    ['sig first', '{"sig":"s","z":1}', '{"z":1}'],
    ['sig last', '{"a":1,"sig":"s"}', '{"a":1}'],
    ['sig alone', '{"sig":"s"}', '{}'],
    ['sig between', '{"a":1,"sig":"s","type":"x"}', '{"a":1,"type":"x"}'],
    ['no sig', '{"a":{"sig":"nested"}}', '{"a":{"sig":"nested"}}'],
  ])('cuts out the top-level "sig" member with its comma: %s', (_name, text, unsigned) => {
    const span = canonicalSigSpan(text)!;
    expect(text.slice(0, span.start) + text.slice(span.end)).toBe(unsigned);
  });

  it.each([
    ['whitespace', '{"a": 1}'],
    ['unsorted keys', '{"b":1,"a":2}'],
    ['a duplicate key', '{"a":1,"a":1}'],
    ['a leading zero', '{"a":01}'],
    ['a negative number (left to the scan)', '{"a":-1}'],
    ['an unsafe integer', '{"a":9007199254740993}'],
    ['nesting beyond 64', '{"a":' + '['.repeat(64) + ']'.repeat(64) + '}'],
  ])('gives no span for %s', (_name, text) => expect(canonicalSigSpan(text)).toBeNull());
});

describe('parseEnvelopeText', () => {
  it('given a stored envelope, then forms taken from the text equal the re-serialised ones', () => {
    const f = NegotiationFixture.opened();
    const env = f.build('ua.lead', 'MessagePosted', { audience: ['ua'] }, { text: 'é\n"q"' });
    const text = JSON.stringify(env);
    const parsed = parseEnvelopeText(text) as typeof env;
    expect(parsed).toEqual(env);
    expect(envelopeForms(parsed).signingInput.equals(signingInput(env))).toBe(true);
    expect(envelopeForms(parsed).hash).toBe(eventHash(structuredClone(env)));
  });

  it('given any object with or without "sig", then the forms equal the re-serialised ones', () => {
    const withSig = fc.tuple(jsonObject, fc.option(fc.string({ unit: 'binary' }))).map(([o, sig]) => (sig === null ? o : { ...o, sig }));
    fc.assert(
      fc.property(withSig, fc.constantFrom('canonical', 'compact', 'pretty'), (obj, spelling) => {
        const text = spelling === 'canonical' ? canonical(obj) : spelling === 'pretty' ? JSON.stringify(obj, null, 1) : JSON.stringify(obj);
        if (strictOrNull(text) === null) return;
        const parsed = parseEnvelopeText(text) as Parameters<typeof envelopeForms>[0];
        expect(envelopeForms(parsed).signingInput.equals(signingInput(parsed))).toBe(true);
        expect(envelopeForms(parsed).hash).toBe(eventHash(structuredClone(parsed)));
      }),
      { numRuns: 1000 },
    );
  });

  it('given a text with an unusual escape, then the strict path computes the same forms', () => {
    const f = NegotiationFixture.opened();
    const env = f.build('ua.lead', 'MessagePosted', { audience: ['ua'] }, { text: 'x' });
    const text = JSON.stringify(env).replace('"MessagePosted"', '"Message\\u0050osted"');
    expect(scanCanonical(text)).toBeNull();
    const parsed = parseEnvelopeText(text) as typeof env;
    expect(envelopeForms(parsed).hash).toBe(eventHash(structuredClone(env)));
  });
});
