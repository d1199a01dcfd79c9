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

describe('table', () => {
  const rows = (t: string) => t.split('\n').slice(1, -1);

  it('given names in Cyrillic (composed or not), Arabic with vowel marks, CJK and emoji, then each status starts in the same terminal column', () => {
    const decomposed = 'Андрі\u0439'.normalize('NFD'); // й as и + combining breve: 7 code units, 6 columns
    const names = ['Олена', decomposed, 'مُحَمَّد', '王小明', 'Zoë 🫠'];
    const text = table('T', ['name', 'status'], names.map((name) => [name, 'open']));
    // Padded to the widest name, 6 columns (Андрій and Zoë 🫠), then two spaces.
    expect(rows(text)).toEqual([
      'name    status',
      '------  ------',
      'Олена   open',
      `${decomposed}  open`,
      'مُحَمَّد    open',
      '王小明  open',
      'Zoë 🫠  open',
    ]);
  });

  it('given a cell too wide, then it is cut between characters as people see them, within the width', () => {
    const family = '👨‍👩‍👧'; // one grapheme of five code points, two columns
    expect(rows(table('T', ['x'], [[`ab${family}${family}cd`]], 5))[2]).toBe(`ab${family}…`);
    expect(rows(table('T', ['x'], [['Анд\u0438\u0306рій']], 5))[2]).toBe('Анди\u0306…');
    expect(rows(table('T', ['x'], [['🫠🫠🫠🫠']], 5))[2]).toBe('🫠🫠…');
  });

  it('given a control character in a cell, then it is shown as \\u{…} and the columns still line up', () => {
    const text = table('T', ['a', 'b'], [['x\u001by', 'end'], ['plain', 'end']]);
    expect(rows(text).slice(2)).toEqual(['x\\u{1b}y  end', 'plain     end']);
  });

  it('given 200,000 rows, then it is made without overflowing the stack', () => {
    const text = table('T', ['n', 'name'], Array.from({ length: 200_000 }, (_, i) => [i, 'Олена']));
    expect(rows(text).at(-1)).toBe('199999  Олена');
  });
});
