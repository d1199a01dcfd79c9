/** Every log in PARLEY_VECTORS_DIR/logs gets exactly the verdict expected.json names. */
import { verifyLog } from '../../src/protocol';
import { readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { lastChannel, loadLogExpectations, logPath, readLog } from '../support/vectors';

const expectations = loadLogExpectations();

describe('logs/expected.json', () => {
  it('lists at least one valid and one invalid log', () => {
    expect(expectations.some((e) => e.ok)).toBe(true);
    expect(expectations.some((e) => !e.ok)).toBe(true);
  });

  it('names every log in the directory, once each, and no log that is not there', () => {
    const present = readdirSync(dirname(logPath('expected.json'))).filter((f) => f.endsWith('.ndjson')).sort();
    expect(expectations.map((e) => e.file).sort()).toEqual(present);
  });

  it.each(expectations.map((e) => [e.file, e]))('%s', (_file, e) => {
    const log = readLog(e.file);
    const report = verifyLog(log);
    if (!e.ok) {
      expect(report.ok).toBe(false);
      expect({ seq: report.violations[0].seq, code: report.violations[0].code }).toEqual({ seq: e.seq, code: e.code });
      return;
    }
    expect(report.violations).toEqual([]);
    expect(report.ok).toBe(true);
    // `events`: the log's length; `head`: the hash of its last event. A valid log of several
    // channels interleaved (as the auditor reads them) lists the requests and proposals of all.
    expect(report.events).toBe(e.events);
    expect(report.channels.find((c) => c.channel === lastChannel(log))?.head).toBe(e.head);
    const states = report.channels.map((c) => c.state);
    const byStatus = (pick: (s: string) => boolean) =>
      states.flatMap((state) => [...state.requests.values()]).filter((r) => pick(r.status)).map((r) => r.id).sort();
    expect(byStatus((s) => s === 'reunited')).toEqual([...(e.reunited ?? [])].sort());
    expect(byStatus((s) => s === 'withdrawn')).toEqual([...(e.withdrawn ?? [])].sort());
    expect(byStatus((s) => s !== 'reunited' && s !== 'withdrawn')).toEqual([...(e.open ?? [])].sort());
    const agreed = states.flatMap((state) => [...state.proposals.values()]).filter((p) => p.agreed !== null).map((p) => p.id).sort();
    expect(agreed).toEqual([...(e.agreed ?? [])].sort());
  });
});
