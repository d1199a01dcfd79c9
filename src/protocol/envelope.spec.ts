/** storedText: what the server stores is the canonical form of the bytes whose hash and signature were checked. */
import { canonical } from './encoding';
import { eventHash, parseEnvelopeText, storedText } from './envelope';
import { NegotiationFixture } from './negotiation/negotiation.fixture';
import type { Envelope } from './types';

describe('storedText', () => {
  const f = NegotiationFixture.opened();
  const env = f.build('ua.lead', 'MessagePosted', { audience: ['ru', 'ua'] }, { text: 'x' });

  it('given an envelope parsed from another spelling, then its canonical form, whose hash is the one checked', () => {
    const parsed = parseEnvelopeText(JSON.stringify(env, null, 1)) as Envelope;
    expect(storedText(parsed)).toBe(canonical(env));
    expect(eventHash(parsed)).toBe(eventHash(env));
  });

  it('given a parsed envelope changed in place after its forms were taken, then refused rather than stored', () => {
    const text = JSON.stringify({ ...env, constructor: 'x' });
    const parsed = parseEnvelopeText(text) as Record<string, unknown>;
    eventHash(parsed as unknown as Envelope); // forms of the text as received
    Reflect.deleteProperty(parsed, 'constructor'); // what a prototype-pollution guard does
    expect(() => storedText(parsed as unknown as Envelope)).toThrow(/changed after it was parsed/);
  });
});
