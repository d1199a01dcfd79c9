/**
 * The verifier's fast path to RFC 8785 canonical text. One pass over untrusted JSON text,
 * without building values, both checks every strict-parsing rule (DESIGN.md 1.1) and
 * assembles the canonical text from the input's own spans: members re-ordered, whitespace
 * dropped, strings and integers copied as written. That is exact only when each string is
 * already written the way canonical JSON writes it, so a string with any other escape
 * (`\/`, `\u0041`, …) or a key with any escape returns null, and the caller takes the strict
 * parser and the general canonicaliser instead. The fast path never accepts what the
 * strict parser rejects (a property test holds it to that).
 */
import { MAX_JSON_DEPTH } from './strict-json';

export interface CanonicalScan {
  /** canonical(value) */
  canonical: string;
  /** canonical(value without its top-level "sig" member) */
  unsigned: string;
}

/** The characters a string scan must stop at: quote, backslash, controls, surrogates. */
const SPECIAL = /[\u0000-\u001f"\\\ud800-\udfff]/g;

/**
 * canonical(value) as `head + sig + tail`, where `head + tail` is canonical(value without
 * its top-level "sig" member) and `sig` is that member with its comma ('' when absent). The
 * parts let the caller encode the signing input once and hash the same bytes with `sig`.
 */
export interface CanonicalParts {
  head: string;
  sig: string;
  tail: string;
}

/**
 * `plain`: the caller vouches that `JSON.parse(text)` succeeds and that the text holds no
 * backslash and no surrogate code unit. Then a string's first special character is its
 * closing quote (valid JSON has no raw controls inside strings), so a native indexOf finds it.
 */
export function scanCanonicalParts(text: string, plain = false): CanonicalParts | null {
  const s = new Scanner(text, plain);
  try {
    s.ws();
    if (text.charCodeAt(s.i) !== 0x7b) return null;
    const members = s.members(1);
    s.ws();
    if (s.i !== text.length) return null;
    let head = '{';
    let k = 0;
    for (; k < members.length && members[k][0] !== 'sig'; k++) head += (k ? ',"' : '"') + members[k][0] + '":' + members[k][1];
    if (k === members.length) return { head: head + '}', sig: '', tail: '' };
    let tail = '';
    for (let j = k + 1; j < members.length; j++) tail += (j > k + 1 || k ? ',"' : '"') + members[j][0] + '":' + members[j][1];
    const sig = '"sig":' + members[k][1];
    // The comma goes with "sig": before it unless it comes first, then after it if more follow.
    return { head, sig: k ? ',' + sig : members.length > 1 ? sig + ',' : sig, tail: tail + '}' };
  } catch (err) {
    if (err === NOT_CANONICAL) return null;
    throw err;
  }
}

export function scanCanonical(text: string, plain = false): CanonicalScan | null {
  const parts = scanCanonicalParts(text, plain);
  return parts && { canonical: parts.head + parts.sig + parts.tail, unsigned: parts.head + parts.tail };
}

/** Where the top-level "sig" member lies in a text, its comma included: [start, end). */
export interface SigSpan {
  start: number;
  end: number;
}

/**
 * The cheapest case, and the usual one (the server stores canonical text): a text that is
 * already exactly canonical. The caller vouches for what scanCanonicalParts's `plain` says
 * (JSON.parse(text) succeeds; no backslash, no surrogate): a string then ends at its next
 * quote, and any string is written as canonical JSON writes it. Then canonical(value) is the
 * text itself and canonical(value without "sig") the text without one span, so nothing is
 * rebuilt: this only checks, without allocating, and finds the span. Returns null when the
 * text is not exactly canonical (whitespace, unsorted or duplicate keys, any number the scan
 * would defer); an empty span just before the closing brace when there is no "sig".
 */
export function canonicalSigSpan(text: string): SigSpan | null {
  const c = new CanonicalCheck(text);
  try {
    if (text.charCodeAt(0) !== 0x7b) return null;
    c.object(1);
    if (c.i !== text.length) return null;
  } catch (err) {
    if (err === NOT_CANONICAL) return null;
    throw err;
  }
  if (c.sigStart < 0) return { start: text.length - 1, end: text.length - 1 };
  // The comma goes with "sig", as in scanCanonicalParts: before it unless it comes first.
  if (text.charCodeAt(c.sigStart - 1) === 0x2c) return { start: c.sigStart - 1, end: c.sigEnd };
  return { start: c.sigStart, end: text.charCodeAt(c.sigEnd) === 0x2c ? c.sigEnd + 1 : c.sigEnd };
}

const NOT_CANONICAL = new Error('not canonical'); // one shared instance: no stack per refusal
const no = (): never => {
  throw NOT_CANONICAL;
};

const byKey = (a: [string, string], b: [string, string]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

class Scanner {
  i = 0;
  constructor(
    private readonly s: string,
    private readonly plain: boolean,
  ) {}

  ws(): void {
    const s = this.s;
    let c = s.charCodeAt(this.i);
    while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = s.charCodeAt(++this.i);
  }

  /** Canonical text of the value at the cursor. */
  value(depth: number): string {
    const s = this.s;
    const c = s.charCodeAt(this.i);
    if (c === 0x7b) {
      const members = this.members(depth + 1);
      let out = '{';
      for (let k = 0; k < members.length; k++) out += (k ? ',"' : '"') + members[k][0] + '":' + members[k][1];
      return out + '}';
    }
    if (c === 0x5b) return this.array(depth + 1);
    if (c === 0x22) {
      const start = this.i;
      this.string(false);
      return s.slice(start, this.i);
    }
    if (c >= 0x30 && c <= 0x39) return this.number();
    for (const word of ['true', 'false', 'null']) {
      if (s.startsWith(word, this.i)) {
        this.i += word.length;
        return word;
      }
    }
    return no();
  }

  number(): string {
    const s = this.s;
    const start = this.i;
    while (this.i < s.length) {
      const c = s.charCodeAt(this.i);
      if (c < 0x30 || c > 0x39) break;
      this.i++;
    }
    const c = s.charCodeAt(this.i);
    if (c === 0x2e || c === 0x65 || c === 0x45) no();
    const digits = s.slice(start, this.i);
    if (digits.length > 1 && digits.charCodeAt(0) === 0x30) no();
    if (digits.length > 15 && !Number.isSafeInteger(Number(digits))) no();
    return digits;
  }

  /** Moves past a string written exactly as canonical JSON writes it; returns its inside when `asKey`. */
  string(asKey: boolean): string {
    const s = this.s;
    const start = ++this.i;
    if (this.plain) {
      this.i = s.indexOf('"', start) + 1;
      return asKey ? s.slice(start, this.i - 1) : '';
    }
    for (;;) {
      // Skip the plain run in one regex step (much faster than a character loop on long b64u).
      SPECIAL.lastIndex = this.i;
      if (!SPECIAL.test(s)) no();
      this.i = SPECIAL.lastIndex - 1;
      const c = s.charCodeAt(this.i);
      if (c === 0x22) break;
      if (Number.isNaN(c) || c < 0x20) no();
      if (c === 0x5c) {
        if (asKey) no();
        const e = s.charCodeAt(this.i + 1);
        if (e === 0x22 || e === 0x5c || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) {
          this.i += 2;
          continue;
        }
        // Canonical JSON writes \u00XX, lowercase, only for controls without a short escape.
        if (e !== 0x75 || s.charCodeAt(this.i + 2) !== 0x30 || s.charCodeAt(this.i + 3) !== 0x30) no();
        const hex = s.slice(this.i + 4, this.i + 6);
        if (!/^[01][0-9a-f]$/.test(hex)) no();
        const code = parseInt(hex, 16);
        if (code === 0x08 || code === 0x09 || code === 0x0a || code === 0x0c || code === 0x0d) no();
        this.i += 6;
        continue;
      }
      if (c >= 0xd800 && c <= 0xdfff) {
        const d = s.charCodeAt(this.i + 1);
        if (c > 0xdbff || !(d >= 0xdc00 && d <= 0xdfff)) no();
        this.i += 2;
        continue;
      }
      this.i++;
    }
    this.i++;
    return asKey ? s.slice(start, this.i - 1) : '';
  }

  /** An object's members as [key, canonical value], sorted; duplicates refused. */
  members(depth: number): [string, string][] {
    if (depth > MAX_JSON_DEPTH) no();
    const s = this.s;
    this.i++;
    this.ws();
    const out: [string, string][] = [];
    if (s.charCodeAt(this.i) === 0x7d) {
      this.i++;
      return out;
    }
    let sorted = true;
    for (;;) {
      if (s.charCodeAt(this.i) !== 0x22) no();
      const key = this.string(true);
      this.ws();
      if (s.charCodeAt(this.i) !== 0x3a) no();
      this.i++;
      this.ws();
      // Keys hold no escapes here, so their text is their value: JS order is code-unit order.
      if (out.length && !(out[out.length - 1][0] < key)) sorted = false;
      out.push([key, this.value(depth)]);
      this.ws();
      const c = s.charCodeAt(this.i);
      this.i++;
      if (c === 0x2c) {
        this.ws();
        continue;
      }
      if (c !== 0x7d) no();
      break;
    }
    if (!sorted) {
      out.sort(byKey);
      for (let k = 1; k < out.length; k++) if (out[k - 1][0] === out[k][0]) no();
    }
    return out;
  }

  array(depth: number): string {
    if (depth > MAX_JSON_DEPTH) no();
    const s = this.s;
    this.i++;
    this.ws();
    if (s.charCodeAt(this.i) === 0x5d) {
      this.i++;
      return '[]';
    }
    let out = '[';
    for (;;) {
      out += this.value(depth);
      this.ws();
      const c = s.charCodeAt(this.i);
      this.i++;
      if (c === 0x2c) {
        out += ',';
        this.ws();
        continue;
      }
      if (c !== 0x5d) no();
      return out + ']';
    }
  }
}

/** canonicalSigSpan's walk: the Scanner's rules, for text that must already be in canonical order and spelling. */
class CanonicalCheck {
  i = 0;
  sigStart = -1;
  sigEnd = -1;
  constructor(private readonly s: string) {}

  value(depth: number): void {
    const s = this.s;
    const c = s.charCodeAt(this.i);
    if (c === 0x7b) this.object(depth + 1);
    else if (c === 0x5b) this.array(depth + 1);
    else if (c === 0x22) this.i = s.indexOf('"', this.i + 1) + 1; // plain: the next quote closes it
    else if (c >= 0x30 && c <= 0x39) this.number();
    else if (s.startsWith('true', this.i)) this.i += 4;
    else if (s.startsWith('false', this.i)) this.i += 5;
    else if (s.startsWith('null', this.i)) this.i += 4;
    else no();
  }

  number(): void {
    const s = this.s;
    const start = this.i;
    let c = s.charCodeAt(this.i);
    while (c >= 0x30 && c <= 0x39) c = s.charCodeAt(++this.i);
    if (c === 0x2e || c === 0x65 || c === 0x45) no();
    const length = this.i - start;
    if (length > 1 && s.charCodeAt(start) === 0x30) no();
    if (length > 15 && !Number.isSafeInteger(Number(s.slice(start, this.i)))) no();
  }

  object(depth: number): void {
    if (depth > MAX_JSON_DEPTH) no();
    const s = this.s;
    this.i++;
    if (s.charCodeAt(this.i) === 0x7d) {
      this.i++;
      return;
    }
    let previous: string | null = null;
    for (;;) {
      const member = this.i;
      if (s.charCodeAt(this.i) !== 0x22) no();
      const end = s.indexOf('"', this.i + 1);
      const key = s.slice(this.i + 1, end);
      // Strictly increasing: sorted (code-unit order, as keys hold no escapes) and no duplicates.
      if (previous !== null && !(previous < key)) no();
      previous = key;
      this.i = end + 1;
      if (s.charCodeAt(this.i) !== 0x3a) no();
      this.i++;
      this.value(depth);
      if (depth === 1 && key === 'sig') {
        this.sigStart = member;
        this.sigEnd = this.i;
      }
      const c = s.charCodeAt(this.i++);
      if (c === 0x2c) continue;
      if (c !== 0x7d) no();
      return;
    }
  }

  array(depth: number): void {
    if (depth > MAX_JSON_DEPTH) no();
    const s = this.s;
    this.i++;
    if (s.charCodeAt(this.i) === 0x5d) {
      this.i++;
      return;
    }
    for (;;) {
      this.value(depth);
      const c = s.charCodeAt(this.i++);
      if (c === 0x2c) continue;
      if (c !== 0x5d) no();
      return;
    }
  }
}
