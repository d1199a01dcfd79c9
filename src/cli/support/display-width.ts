import { eastAsianWidth } from 'eastasianwidth';

/**
 * How many terminal columns text takes, as terminals count them (wcwidth, per code point),
 * for the names of people in any script: combining marks and format characters (Arabic and
 * Hebrew vowel marks, ZWNJ, zero-width space, variation selectors) take none, East Asian wide
 * and fullwidth characters two, and a character shown as an emoji two however many code
 * points make it (a ZWJ family, a flag, a keycap). Everything else one. Text reaching here
 * has no control characters (printable() escaped them).
 */
export function displayWidth(text: string): number {
  if (ASCII.test(text)) return text.length;
  let width = 0;
  for (const { segment } of graphemes.segment(text)) width += graphemeWidth(segment);
  return width;
}

/** At most `max` columns, cut between characters as people see them (never inside an emoji or before its accent), and its width. */
export function fitToWidth(text: string, max: number): { text: string; width: number } {
  const whole = displayWidth(text);
  if (whole <= max) return { text, width: whole };
  let kept = '';
  let width = 0;
  for (const { segment } of graphemes.segment(text)) {
    const w = graphemeWidth(segment);
    if (width + w > max - 1) break;
    kept += segment;
    width += w;
  }
  return { text: kept + '…', width: width + 1 };
}

const ASCII = /^[\x20-\x7e]*$/;
const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
/**
 * A grapheme that starts as an emoji: one shown so by default, or asked for with VS16 (U+FE0F),
 * or a regional indicator (a flag). Only its start decides: a skin-tone modifier attaches to
 * any letter, and a run of Hangul leading consonants is one grapheme however long.
 */
const EMOJI = /^(?:\p{Emoji_Presentation}|\p{Emoji}\uFE0F|\p{Regional_Indicator})/u;
/**
 * What an emoji sequence is made of after its first character, drawn within its two columns:
 * ZWJ, variation selectors, skin tones, tags, the keycap, and further emoji joined to it.
 * Anything else in its grapheme (a Thai SARA AM, a halfwidth sound mark) takes its own columns:
 * counted as nothing, forty of them let a cell pass for two columns and escape its cut.
 */
const WITHIN_EMOJI = /[\u200d\ufe00-\ufe0f\u20e3\u{e0020}-\u{e007f}\p{Emoji_Modifier}\p{Extended_Pictographic}\p{Regional_Indicator}]/u;
/**
 * No column: nonspacing and enclosing marks, format characters but those terminals draw (soft
 * hyphen, the Arabic number signs and end of ayah, Syriac abbreviation mark, Kaithi number signs),
 * Hangul medial vowels and final consonants (both blocks) and the Hangul fillers, variation selectors.
 */
const ZERO_WIDTH = /(?![\u00ad\u0600-\u0605\u06dd\u070f\u0890\u0891\u08e2\u{110bd}\u{110cd}])[\p{Mn}\p{Me}\p{Cf}\u1160-\u11ff\ud7b0-\ud7ff\u3164\uffa0\ufe00-\ufe0f\u{e0100}-\u{e01ef}]/u;
/** Two columns: skin-tone modifiers, which terminals draw as emoji even after a letter. */
const MODIFIER = /\p{Emoji_Modifier}/u;
/**
 * Wide since Unicode 9, which is as far as eastasianwidth's table goes (no CommonJS package has
 * a current one; get-east-asian-width is ESM only): Tangut and its components and supplement,
 * Khitan, the Kana supplements and extensions (hentaigana, small kana), Nushu, ideographic
 * symbols, later Bopomofo and CJK strokes, the Reiwa sign, Yijing and Tai Xuan Jing symbols,
 * counting rods, and a few enclosed ideographic supplements.
 */
const WIDE_SINCE_UNICODE_9 =
  /[\u{16fe0}-\u{16fe4}\u{16ff0}-\u{16ff6}\u{17000}-\u{18cff}\u{18d00}-\u{18d08}\u{1aff0}-\u{1affe}\u{1b000}-\u{1b2fb}\u312e\u312f\u31bb-\u31bf\u31e4\u31e5\u31ef\u2ffc-\u2fff\u32ff\u4dc0-\u4dff\u2630-\u2637\u268a-\u268f\u{1d300}-\u{1d356}\u{1d360}-\u{1d376}\u{1f23b}\u{1f260}-\u{1f265}]/u;

function graphemeWidth(grapheme: string): number {
  const points = [...grapheme];
  if (!EMOJI.test(grapheme)) return points.reduce((width, c) => width + codePointWidth(c), 0);
  // Its first character and what belongs to the emoji take its two columns; the rest their own.
  return points.slice(1).reduce((width, c) => width + (WITHIN_EMOJI.test(c) ? 0 : codePointWidth(c)), 2);
}

function codePointWidth(c: string): number {
  if (ZERO_WIDTH.test(c)) return 0;
  const eaw = eastAsianWidth(c);
  return eaw === 'W' || eaw === 'F' || MODIFIER.test(c) || WIDE_SINCE_UNICODE_9.test(c) ? 2 : 1;
}
