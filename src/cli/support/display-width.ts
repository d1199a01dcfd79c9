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
 * A grapheme shown as one emoji: it starts with one shown so by default, or asked for with
 * VS16 (U+FE0F), or with a regional indicator (a flag). Only its start counts: a skin-tone
 * modifier attaches to any letter, and a run of Hangul leading consonants is one grapheme
 * however long, so "any emoji inside" would let a long cell pass for two columns.
 */
const EMOJI = /^(?:\p{Emoji_Presentation}|\p{Emoji}\uFE0F|\p{Regional_Indicator})/u;
/**
 * No column: nonspacing and enclosing marks, format characters but those terminals draw (soft
 * hyphen, the Arabic number signs and end of ayah, Syriac abbreviation mark, Kaithi number signs),
 * Hangul medial vowels and final consonants (both blocks) and the Hangul fillers, variation selectors.
 */
const ZERO_WIDTH = /(?![\u00ad\u0600-\u0605\u06dd\u070f\u0890\u0891\u08e2\u{110bd}\u{110cd}])[\p{Mn}\p{Me}\p{Cf}\u1160-\u11ff\ud7b0-\ud7ff\u3164\uffa0\ufe00-\ufe0f\u{e0100}-\u{e01ef}]/u;
/** Two columns: skin-tone modifiers, which terminals draw as emoji even after a letter. */
const MODIFIER = /\p{Emoji_Modifier}/u;

function graphemeWidth(grapheme: string): number {
  if (EMOJI.test(grapheme)) return 2;
  let width = 0;
  for (const c of grapheme) {
    if (ZERO_WIDTH.test(c)) continue;
    const eaw = eastAsianWidth(c);
    width += eaw === 'W' || eaw === 'F' || MODIFIER.test(c) ? 2 : 1;
  }
  return width;
}
