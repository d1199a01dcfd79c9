import { displayWidth, fitToWidth } from './display-width';

describe('displayWidth', () => {
  // What a terminal gives each (wcwidth, and two columns for an emoji however it is made).
  it.each([
    ['plain ASCII', 'Olena Kovalenko', 15],
    ['Ukrainian', 'Олена Коваленко', 15],
    ['Russian, й decomposed', 'Андрі\u0438\u0306', 6],
    ['Arabic with vowel marks', 'مُحَمَّد', 4],
    ['Hebrew with points', 'דָּוִד', 3],
    ['Hindi (spacing vowel signs count)', 'देवनागरी', 7],
    ['Persian with a zero-width non-joiner', 'مهسا\u200cرضایی', 9],
    ['a zero-width space', 'a\u200bb', 2],
    ['Chinese', '王小明', 6],
    ['Korean', '김민준', 6],
    ['fullwidth Latin', 'ＡＢ', 4],
    ['an emoji of Unicode 14', '🫠', 2],
    ['a ZWJ family', '👨‍👩‍👧', 2],
    ['a flag', '🇺🇦', 2],
    ['a keycap', '1\ufe0f\u20e3', 2],
    ['a smiley asked for as text', '\u263a\ufe0e', 1],
    ['an emoji with a skin tone', '\u{1f44b}\u{1f3fd}', 2],
    ['a skin tone after a letter', 'x\u{1f3fb}', 3],
    ['a skin tone after thirty Hangul leading consonants (one grapheme)', '\u1100'.repeat(30) + '\u{1f3fb}', 62],
    ['Hangul jamo of Extended-B', '\u1100\u1161\ud7b0', 2],
    ['the Hangul filler', '\u3164', 0],
    ['a soft hyphen', 'co\u00adop', 5],
    ['the Arabic end of ayah', '\u06dd', 1],
    ['Thai with marks', 'สมชาย', 5],
    ['Japanese with halfwidth katakana', 'ﾃｽﾄ太郎', 7],
    ['an emoji followed, in its grapheme, by forty Thai SARA AM', '\u{1f44b}' + '\u0e33'.repeat(40), 42],
    ['a keycap followed by halfwidth sound marks', '1\ufe0f\u20e3' + '\uff9e'.repeat(3), 5],
    ['a flag with a mark after it', '\u{1f1fa}\u{1f1e6}\u0e33', 3],
    ['hentaigana (wide since Unicode 10)', '\u{1b002}\u{1b003}', 4],
    ['Tangut', '\u{17000}', 2],
    ['the Reiwa era sign', '\u32ff', 2],
  ])('given %s, then %j takes %i columns', (_what, text, columns) => {
    expect(displayWidth(text)).toBe(columns);
  });
});

describe('fitToWidth', () => {
  it('given text that fits, then unchanged; else cut with an ellipsis within the width, between graphemes', () => {
    expect(fitToWidth('王小明', 6)).toEqual({ text: '王小明', width: 6 });
    expect(fitToWidth('王小明', 5)).toEqual({ text: '王小…', width: 5 });
    expect(fitToWidth('王小明', 4)).toEqual({ text: '王…', width: 3 }); // 王小 and the ellipsis would take 5
    expect(fitToWidth('مُحَمَّد علي', 4)).toEqual({ text: 'مُحَمَّ…', width: 4 }); // three letters with their marks, one column each
  });
});
