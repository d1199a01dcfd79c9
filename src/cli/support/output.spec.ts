import { printable, table } from './output';

describe('printable', () => {
  it('given terminal escapes and controls in text others wrote, then each is shown as \\u{…}, not passed on', () => {
    expect(printable('red \u001b[31mX\u001b[0m bell\u0007 csi\u009b bidi\u202e end')).toBe('red \\u{1b}[31mX\\u{1b}[0m bell\\u{7} csi\\u{9b} bidi\\u{202e} end');
  });
  it('given newlines, then kept in multi-line output and shown in one-line output', () => {
    const fake = 'hi\n#   8 2026-10-10T10:00:00.000Z notary       TransferAgreed';
    expect(printable(fake)).toBe(fake);
    expect(printable(fake, true)).toBe('hi\\u{a}#   8 2026-10-10T10:00:00.000Z notary       TransferAgreed');
  });
  it('given plain text with accents and emoji, then unchanged', () => {
    expect(printable('Zoë 🕊 — «ok»\ttab', false)).toBe('Zoë 🕊 — «ok»\ttab');
  });
  it('given a table cell with a newline, then the row stays one line', () => {
    expect(table('T', ['a'], [['x\ny']]).split('\n')).toEqual(['T', 'a', '---', 'x y', '']);
  });
});
