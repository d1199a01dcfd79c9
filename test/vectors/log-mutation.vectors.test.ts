/**
 * Property: any single-byte change to any stored envelope of a valid vector log makes
 * verification fail at that event or earlier (DESIGN.md 1.5 replay; Part 1 byte rules).
 */
import fc from 'fast-check';
import { LogVerifier } from '../../src/protocol';
import { loadLogExpectations, readLog } from '../support/vectors';

const valid = loadLogExpectations().filter((e) => e.ok);
// 400 mutations of one valid log; a set of several valid logs shares a little more (100 each at least).
const RUNS = Math.max(100, Math.ceil(400 / valid.length));

describe.each(valid.map((e) => [e.file]))('%s under single-byte mutation', (file) => {
  const lines = readLog(file)
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => Buffer.from(l, 'utf8'));

  const verify = (log: Buffer[]) => {
    const v = new LogVerifier();
    for (const line of log) v.addLineBytes(line);
    return v.report();
  };

  it('is valid unmutated', () => expect(verify(lines).ok).toBe(true));

  it('fails at the mutated event or earlier', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: lines.length - 1 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (lineIndex, offset, delta) => {
          const line = Buffer.from(lines[lineIndex]);
          const at = offset % line.length;
          line[at] = (line[at] + delta) & 0xff;
          // A byte that turns into a newline splits the line: still a change to that event. The
          // events after it cannot move a violation at it or earlier: they are not replayed.
          const mutated = [...lines.slice(0, lineIndex), ...splitLines(line)];
          const report = verify(mutated);
          expect(report.ok).toBe(false);
          expect(report.violations[0].index).toBeLessThanOrEqual(lineIndex + 1);
        },
      ),
      { numRuns: RUNS },
    );
  });
});

function splitLines(line: Buffer): Buffer[] {
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i <= line.length; i++) {
    if (i === line.length || line[i] === 0x0a) {
      parts.push(line.subarray(start, i));
      start = i + 1;
    }
  }
  return parts.filter((p) => p.toString('latin1').trim() !== '');
}
