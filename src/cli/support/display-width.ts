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
/** Shown as an emoji: by default, or asked for with VS16 (U+FE0F). */
const EMOJI = /\p{Emoji_Presentation}|\p{Emoji}\uFE0F/u;
/** Nonspacing and enclosing marks, format characters, Hangul medial vowels and final consonants, variation selectors. */
const ZERO_WIDTH = /[\p{Mn}\p{Me}\p{Cf}\u1160-\u11ff\ufe00-\ufe0f\u{e0100}-\u{e01ef}]/u;

function graphemeWidth(grapheme: string): number {
  if (EMOJI.test(grapheme)) return 2;
  let width = 0;
  for (const c of grapheme) {
    if (ZERO_WIDTH.test(c)) continue;
    const eaw = eastAsianWidth(c);
    width += eaw === 'W' || eaw === 'F' ? 2 : 1;
  }
  return width;
}
