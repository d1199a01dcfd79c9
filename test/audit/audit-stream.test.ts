/**
 * The streaming auditor with real worker threads (the compiled worker from dist/): its
 * report equals the single-threaded LogVerifier's for any number of workers and batch
 * sizes, and every single-byte mutation of a valid log is caught.
 */
import fc from 'fast-check';
import { auditStream, AuditStreamOptions, StreamAuditor } from '../../src/audit/audit-stream';
import { auditReportOf } from '../../src/audit/audit-report';
import { generateIdentity, LogVerifier } from '../../src/protocol';
import { DEFAULT_MEMBERS, NegotiationBuilder, newNotarySeed } from '../support/negotiation-builder';
import { loadLogExpectations, readLog } from '../support/vectors';
import { mixedLog } from './audit-fixtures';

async function* chunks(bytes: Buffer, size = 1000): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

const audit = (bytes: Buffer, options: AuditStreamOptions) => auditStream(chunks(bytes), options);

/** The reference: the protocol's verifier alone, line by line. */
function reference(bytes: Buffer, reader?: { id: string; boxSecret: string }) {
  const v = new LogVerifier({ reader });
  let start = 0;
  for (let nl = bytes.indexOf(0x0a); nl >= 0; start = nl + 1, nl = bytes.indexOf(0x0a, start)) v.addLineBytes(bytes.subarray(start, nl));
  if (start < bytes.length) v.addLineBytes(bytes.subarray(start));
  return v.report();
}

describe('auditStream', () => {
  const log = mixedLog();
  const reader = { id: 'icrc.audit', boxSecret: log.auditor.boxSecret };

  it('given a mixed log, then it reports each damage once, in log order, as the verifier does', async () => {
    const report = auditReportOf(await audit(log.bytes, { workers: 2, reader, batchBytes: 2000 }));
    expect(report.violations.map((v) => [v.channel, v.code])).toEqual([
      [null, 'malformed'], // not JSON
      [null, 'malformed'], // not UTF-8
      [log.plain, 'bad_signature'],
      [log.read, 'bad_body'],
    ]);
    expect(report.channels.map((c) => c.channel).sort()).toEqual([log.read, log.plain, log.other].sort());
    expect(auditReportOf(reference(log.bytes, reader))).toEqual(report);
  });

  it("given a body too large for a worker's small heap (12 MiB), then the same clean report as one thread: this thread opens it", async () => {
    const auditor = generateIdentity();
    const members = DEFAULT_MEMBERS.map((m) => (m.id === 'icrc.audit' ? { ...m, identity: auditor } : m));
    const n = NegotiationBuilder.open({ notarySeed: newNotarySeed(), policy: { quorum: 'sides', auditorsRead: true }, members });
    n.message('ua.lead', ['ru', 'ua'], 'x'.repeat(12 * 2 ** 20));
    n.message('ua.lead', ['ru', 'ua'], 'small');
    const bytes = Buffer.from(n.log.map((e) => JSON.stringify(e)).join('\n') + '\n');
    const me = { id: 'icrc.audit', boxSecret: auditor.boxSecret };
    const report = await audit(bytes, { workers: 2, reader: me });
    expect(report).toEqual(reference(bytes, me));
    expect(report.ok).toBe(true);
    // Large by another member than its small box (a hostile line): the same report as one thread, not a worker out of memory.
    const last = n.log.at(-1)!;
    const padded = { ...last, body: { ...last.body!, keys: [...last.body!.keys, { to: 'zz', nonce: 'n', key: 'A'.repeat(40 * 2 ** 20) }] } };
    const hostile = Buffer.concat([bytes, Buffer.from(JSON.stringify({ ...padded, seq: last.seq + 1 }) + '\n')]);
    const verdict = await audit(hostile, { workers: 2, reader: me });
    expect(verdict).toEqual(reference(hostile, me));
    expect(verdict.ok).toBe(false);
  });

  it('given workers, then they verify every signature the replay checks: it verifies none itself', async () => {
    let counts = { workerVerdicts: 0, selfVerified: 0 };
    await audit(log.bytes, { workers: 2, reader, batchBytes: 700, onProgress: (p) => (counts = { ...p }) });
    // Every event that reaches the signature step: the verified ones, the forged one and the lying one.
    const reachingSignature = reference(log.bytes, reader).channels.reduce((n, c) => n + c.verified, 0) + 2;
    expect(counts).toMatchObject({ workerVerdicts: reachingSignature, selfVerified: 0 });
  });

  it('given no reader key, then the lying commit goes unseen and the rest is the same', async () => {
    const report = auditReportOf(await audit(log.bytes, { workers: 2, batchBytes: 2000 }));
    expect(report.violations.map((v) => v.code)).toEqual(['malformed', 'malformed', 'bad_signature']);
  });

  it.each([
    [0, undefined],
    [1, 1500],
    [3, 700],
    [2, 64 * 1024],
  ])('given %i worker(s) and batches of %s bytes, then the report equals the single-threaded one exactly', async (workers, batchBytes) => {
    const expected = reference(log.bytes, reader);
    const got = await audit(log.bytes, { workers, reader, batchBytes });
    expect(got).toEqual(expected);
  });

  describe('single-byte mutations of a valid vector log', () => {
    const valid = loadLogExpectations().find((e) => e.ok)!;
    const bytes = Buffer.from(readLog(valid.file));
    const lineOf = (at: number) => bytes.subarray(0, at).filter((b) => b === 0x0a).length + 1;
    // The final newline ends the last line; whitespace after a JSON value is no change to it.
    const lastByte = bytes[bytes.length - 1] === 0x0a ? bytes.length - 2 : bytes.length - 1;

    it('given the log unmutated, then it verifies', async () => {
      expect((await audit(bytes, { workers: 2, batchBytes: 4096 })).ok).toBe(true);
    });

    it('given any one byte changed, then a violation at that event or earlier', async () => {
      const auditor = new StreamAuditor({ workers: 2, batchBytes: 4096 });
      try {
        await fc.assert(
        fc.asyncProperty(fc.nat({ max: lastByte }), fc.integer({ min: 1, max: 255 }), async (at, delta) => {
          const mutated = Buffer.from(bytes);
          mutated[at] = (mutated[at] + delta) & 0xff;
          const report = await auditor.audit(chunks(mutated));
          expect(report.ok).toBe(false);
          expect(report.violations[0].index).toBeLessThanOrEqual(lineOf(at));
        }),
        { numRuns: 300 },
      );
      } finally {
        await auditor.close();
      }
    }, 30_000);
  });
});
