/**
 * Strict JSON parsing for untrusted input (DESIGN.md 1.1). `JSON.parse` silently keeps the
 * last of duplicate keys, accepts any number and lone surrogates, so this is a small
 * recursive-descent parser that rejects, with a position:
 * - duplicate object keys, a top level that is not an object, text after the value;
 * - numbers with a sign, fraction or exponent, leading zeros, or above 2^53−1;
 * - strings that are not valid Unicode (lone surrogates, raw or escaped), control characters;
 * - nesting deeper than `maxDepth` (a stack-exhaustion guard).
 */

export class StrictJsonError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} at offset ${offset}`);
    this.name = 'StrictJsonError';
  }
}

/** The nesting of objects and arrays strict parsing allows by default (and the canonical scans always). */
export const MAX_JSON_DEPTH = 64;

export interface StrictJsonOptions {
  /** Maximum nesting of objects and arrays (default MAX_JSON_DEPTH). */
  maxDepth?: number;
  /**
   * An integer above 2^53−1 parsed (to the nearest double) instead of refused. DESIGN.md 1.1
   * does not list it among what strict parsing rejects: in an envelope it is a format
   * error, which the shape check refuses as `malformed` with the envelope's own seq.
   */
  keepUnsafeIntegers?: boolean;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** UTF-8 bytes as text; invalid UTF-8 is a StrictJsonError, not replaced, and a BOM is kept (JSON text has none). */
export function decodeUtf8Strict(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new StrictJsonError('invalid UTF-8', 0);
  }
}

/** Parses UTF-8 bytes strictly; invalid UTF-8 is rejected, not replaced. */
export function parseStrictJsonBytes(bytes: Uint8Array, options?: StrictJsonOptions): Record<string, unknown> {
  return parseStrictJson(decodeUtf8Strict(bytes), options);
}

export function parseStrictJson(text: string, options?: StrictJsonOptions): Record<string, unknown> {
  const p = new Parser(text, options?.maxDepth ?? MAX_JSON_DEPTH, options?.keepUnsafeIntegers === true);
  p.skipWs();
  if (text.charCodeAt(p.i) !== 0x7b /* { */) p.fail('the top level must be an object');
  const value = p.value(0) as Record<string, unknown>;
  p.skipWs();
  if (p.i !== text.length) p.fail('unexpected text after the value');
  return value;
}

const NEEDS_CARE = /[\u0000-\u001f\ud800-\udfff]/;

class Parser {
  i = 0;
  constructor(
    private readonly s: string,
    private readonly maxDepth: number,
    private readonly keepUnsafeIntegers: boolean,
  ) {}

  fail(message: string): never {
    throw new StrictJsonError(message, this.i);
  }

  skipWs(): void {
    const s = this.s;
    let c = s.charCodeAt(this.i);
    while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = s.charCodeAt(++this.i);
  }

  value(depth: number): unknown {
    const c = this.s.charCodeAt(this.i);
    switch (c) {
      case 0x7b:
        return this.object(depth + 1);
      case 0x5b:
        return this.array(depth + 1);
      case 0x22:
        return this.string();
      case 0x74:
        return this.literal('true', true);
      case 0x66:
        return this.literal('false', false);
      case 0x6e:
        return this.literal('null', null);
      default:
        if (c >= 0x30 && c <= 0x39) return this.number();
        if (c === 0x2d) this.fail('signed numbers are not allowed');
        if (Number.isNaN(c)) this.fail('unexpected end of input');
        return this.fail('unexpected character');
    }
  }

  private literal<T>(word: string, value: T): T {
    if (!this.s.startsWith(word, this.i)) this.fail('unexpected token');
    this.i += word.length;
    return value;
  }

  private number(): number {
    const s = this.s;
    const start = this.i;
    while (this.i < s.length) {
      const c = s.charCodeAt(this.i);
      if (c < 0x30 || c > 0x39) break;
      this.i++;
    }
    const c = s.charCodeAt(this.i);
    if (c === 0x2e || c === 0x65 || c === 0x45) this.fail('only plain integers are allowed');
    if (this.i - start > 1 && s.charCodeAt(start) === 0x30) this.fail('leading zeros are not allowed');
    const n = Number(s.slice(start, this.i));
    if (!Number.isSafeInteger(n) && !this.keepUnsafeIntegers) this.fail('integer above 2^53-1');
    return n;
  }

  string(): string {
    const s = this.s;
    let i = ++this.i; // opening quote
    let out = '';
    for (;;) {
      // Copy the run up to the next quote or backslash in one slice.
      let j = i;
      while (j < s.length) {
        const c = s.charCodeAt(j);
        if (c === 0x22 || c === 0x5c) break;
        j++;
      }
      if (j >= s.length) {
        this.i = j;
        this.fail('unterminated string');
      }
      const run = s.slice(i, j);
      if (NEEDS_CARE.test(run)) this.checkRun(run, i);
      out += run;
      if (s.charCodeAt(j) === 0x22) {
        this.i = j + 1;
        if (/[\ud800-\udfff]/.test(out)) this.checkSurrogates(out, i);
        return out;
      }
      // Escape sequence.
      const e = s.charCodeAt(j + 1);
      i = j + 2;
      switch (e) {
        case 0x22: out += '"'; break;
        case 0x5c: out += '\\'; break;
        case 0x2f: out += '/'; break;
        case 0x62: out += '\b'; break;
        case 0x66: out += '\f'; break;
        case 0x6e: out += '\n'; break;
        case 0x72: out += '\r'; break;
        case 0x74: out += '\t'; break;
        case 0x75: {
          const hex = s.slice(j + 2, j + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
            this.i = j;
            this.fail('bad \\u escape');
          }
          out += String.fromCharCode(parseInt(hex, 16));
          i = j + 6;
          break;
        }
        default:
          this.i = j;
          this.fail('bad escape');
      }
    }
  }

  private checkRun(run: string, offset: number): void {
    for (let k = 0; k < run.length; k++) {
      if (run.charCodeAt(k) < 0x20) {
        this.i = offset + k;
        this.fail('control character in string');
      }
    }
  }

  /** Lone surrogates (raw, or written as \u escapes) are not Unicode text. */
  private checkSurrogates(str: string, offset: number): void {
    if (!(str as unknown as { isWellFormed(): boolean }).isWellFormed()) {
      this.i = offset;
      this.fail('lone surrogate in string');
    }
  }

  private object(depth: number): Record<string, unknown> {
    if (depth > this.maxDepth) this.fail('nesting too deep');
    const s = this.s;
    this.i++; // {
    const obj: Record<string, unknown> = {};
    this.skipWs();
    if (s.charCodeAt(this.i) === 0x7d) {
      this.i++;
      return obj;
    }
    for (;;) {
      if (s.charCodeAt(this.i) !== 0x22) this.fail('expected a string key');
      const keyAt = this.i;
      const key = this.string();
      if (Object.prototype.hasOwnProperty.call(obj, key)) {
        this.i = keyAt;
        // At most 40 characters of it: a key may be megabytes long, and this message is printed.
        this.fail(`duplicate key ${JSON.stringify(key.length > 40 ? key.slice(0, 40) + '…' : key)}`);
      }
      this.skipWs();
      if (s.charCodeAt(this.i) !== 0x3a) this.fail("expected ':'");
      this.i++;
      this.skipWs();
      const v = this.value(depth);
      // defineProperty so that a "__proto__" key is data, not a prototype change.
      if (key === '__proto__') Object.defineProperty(obj, key, { value: v, enumerable: true, writable: true, configurable: true });
      else obj[key] = v;
      this.skipWs();
      const c = s.charCodeAt(this.i);
      if (c === 0x2c) {
        this.i++;
        this.skipWs();
        continue;
      }
      if (c === 0x7d) {
        this.i++;
        return obj;
      }
      this.fail("expected ',' or '}'");
    }
  }

  private array(depth: number): unknown[] {
    if (depth > this.maxDepth) this.fail('nesting too deep');
    const s = this.s;
    this.i++; // [
    const arr: unknown[] = [];
    this.skipWs();
    if (s.charCodeAt(this.i) === 0x5d) {
      this.i++;
      return arr;
    }
    for (;;) {
      arr.push(this.value(depth));
      this.skipWs();
      const c = s.charCodeAt(this.i);
      if (c === 0x2c) {
        this.i++;
        this.skipWs();
        continue;
      }
      if (c === 0x5d) {
        this.i++;
        return arr;
      }
      this.fail("expected ',' or ']'");
    }
  }
}
