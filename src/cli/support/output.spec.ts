import stringWidth from 'string-width';
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

  it('given names in Cyrillic (composed or not), CJK and emoji, then its columns line up on a terminal', () => {
    const decomposed = 'Андрі\u0439'.normalize('NFD'); // й as и + combining breve: 7 code units, 6 columns
    const text = table('T', ['name', 'status'], [['Олена', 'open'], [decomposed, 'open'], ['王小明', 'open'], ['Zoë 🕊', 'open']]);
    // Every status starts in the same terminal column (the width of the widest name, 6, and two spaces).
    const [header, , ...data] = rows(text);
    expect([header.indexOf('status'), ...data.map((r) => stringWidth(r.slice(0, r.lastIndexOf('open'))))]).toEqual([8, 8, 8, 8, 8]);
  });

  it('given a cell too wide, then it is cut between characters as people see them, within the width', () => {
    const family = '👨‍👩‍👧'; // one grapheme of five code points, two columns
    const [cell] = rows(table('T', ['x'], [[`ab${family}${family}cd`]], 5)).slice(2);
    expect(cell).toBe(`ab${family}…`);
    expect(stringWidth(cell)).toBeLessThanOrEqual(5);
    expect(rows(table('T', ['x'], [['Анд\u0438\u0306рій']], 5))[2]).toBe('Анди\u0306…');
  });

  it('given a control character in a cell, then it is shown as \\u{…} and the columns still line up', () => {
    const text = table('T', ['a', 'b'], [['x\u001by', 'end'], ['plain', 'end']]);
    expect(rows(text).slice(2)).toEqual(['x\\u{1b}y  end', 'plain     end']);
  });
});
