import { parseStrictJson, parseStrictJsonBytes, StrictJsonError } from './strict-json';

describe('parseStrictJson', () => {
  it('given plain JSON, then the same value as JSON.parse', () => {
    const text = '{"a":[1,"\\u00e9\\n",true,null,{"b":{}}],"c":"\\ud83d\\ude00","d":9007199254740991}';
    expect(parseStrictJson(text)).toEqual(JSON.parse(text));
  });

  it('given whitespace around tokens, then accepted', () => {
    expect(parseStrictJson(' {\n "a" : [ 1 , 2 ] }\t')).toEqual({ a: [1, 2] });
  });

  it.each([
    ['a duplicate key', '{"a":1,"a":2}'],
    ['a duplicate nested key', '{"a":{"b":1,"b":1}}'],
    ['an array at the top', '[1]'],
    ['a string at the top', '"x"'],
    ['trailing text', '{"a":1} x'],
    ['a second value', '{"a":1}{"b":2}'],
    ['a sign', '{"a":-1}'],
    ['a plus sign', '{"a":+1}'],
    ['a fraction', '{"a":1.0}'],
    ['an exponent', '{"a":1e3}'],
    ['a leading zero', '{"a":01}'],
    ['an integer above 2^53-1', '{"a":9007199254740992}'],
    ['a lone high surrogate', '{"a":"\\ud800"}'],
    ['a lone low surrogate', '{"a":"\\udc00x"}'],
    ['a raw control character', '{"a":"\u0001"}'],
    ['a bad escape', '{"a":"\\x"}'],
    ['a trailing comma', '{"a":1,}'],
    ['single quotes', "{'a':1}"],
    ['an unterminated string', '{"a":"x'],
    ['empty input', ''],
  ])('given %s, then StrictJsonError', (_name, text) => {
    expect(() => parseStrictJson(text)).toThrow(StrictJsonError);
  });

  it('given a duplicate key megabytes long, then the message quotes 40 characters of it', () => {
    const key = 'k'.repeat(1_000_000);
    expect(() => parseStrictJson(`{"${key}":1,"${key}":2}`)).toThrow(`duplicate key "${'k'.repeat(40)}…" at offset ${key.length + 6}`);
  });

  it('given nesting deeper than the limit, then refused without exhausting the stack', () => {
    const deep = '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000);
    expect(() => parseStrictJson(deep)).toThrow(/nesting too deep/);
  });

  it('given a "__proto__" key, then it is plain data and the prototype is untouched', () => {
    const v = parseStrictJson('{"__proto__":{"polluted":true}}');
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(v)).toEqual(['__proto__']);
  });

  it('given invalid UTF-8 bytes, then refused rather than replaced', () => {
    expect(() => parseStrictJsonBytes(Buffer.from([0x7b, 0x22, 0xc3, 0x22, 0x3a, 0x31, 0x7d]))).toThrow(/invalid UTF-8/);
  });
});
