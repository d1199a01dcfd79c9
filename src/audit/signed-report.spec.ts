import { b64uEncode, ed25519Signer, b64uDecode, canonical, generateIdentity } from '../protocol';
import type { AuditReport } from './audit-report';
import { AUDIT_REPORT_PREFIX, signAuditReport, verifyAuditReport } from './signed-report';

const identity = generateIdentity();
const keys = { id: 'icrc.audit', ...identity };
const report: AuditReport = {
  ok: false,
  events: 3,
  channels: [{ channel: '6f1c7e2a-0d8b-4f7e-9a51-2b7c9e0d1a2b', events: 3, head: 'a'.repeat(64) }],
  violations: [{ channel: '6f1c7e2a-0d8b-4f7e-9a51-2b7c9e0d1a2b', seq: 2, code: 'bad_signature', message: 'sig does not verify' }],
};

describe('signed audit reports', () => {
  it('given a signed report, then it verifies, and its signature is over the prefix and the canonical document', () => {
    const signed = signAuditReport(report, keys, new Date('2026-11-28T05:00:00.000Z'));
    expect(verifyAuditReport(JSON.stringify(signed, null, 2))).toMatchObject({ valid: true });
    const { signature, ...document } = signed;
    const again = ed25519Signer(b64uDecode(identity.signSeed, 32)!)(Buffer.from(AUDIT_REPORT_PREFIX + canonical(document)));
    expect(signature).toBe(b64uEncode(again));
  });

  it.each<[string, (d: any) => void]>([
    ['a verdict turned clean', (d) => ((d.ok = true), (d.violations = []))],
    ['a violation message', (d) => (d.violations[0].message = 'fine')],
    ['the event count', (d) => (d.events = 4)],
    ['a head', (d) => (d.channels[0].head = 'b'.repeat(64))],
    ['the signer id', (d) => (d.signer.id = 'someone')],
    ['the signing time', (d) => (d.signedAt = '2026-11-29T05:00:00.000Z')],
    ['the fingerprint', (d) => (d.signer.fingerprint = '0'.repeat(64))],
    ['the signer keys (someone else signing)', (d) => Object.assign(d, signAuditReport(report, { id: 'icrc.audit', ...generateIdentity() }), { signature: d.signature })],
    ['an extra member', (d) => (d.note = 'x')],
  ])('given %s changed, then it does not verify', (_name, change) => {
    const doc = JSON.parse(JSON.stringify(signAuditReport(report, keys)));
    change(doc);
    expect(verifyAuditReport(JSON.stringify(doc)).valid).toBe(false);
  });

  it('given a signing time that is free text (lines a reader would be shown), then not valid, however well signed', () => {
    const { signature: _old, ...document } = signAuditReport(report, keys);
    const forged = { ...document, signedAt: '2026-11-28T05:00:00.000Z\n  fingerprint 0000 …\n  verdict: no violation' };
    const signature = b64uEncode(ed25519Signer(b64uDecode(identity.signSeed, 32)!)(Buffer.from(AUDIT_REPORT_PREFIX + canonical(forged))));
    expect(verifyAuditReport(JSON.stringify({ ...forged, signature }))).toEqual({ valid: false, reason: 'signedAt must be a UTC time YYYY-MM-DDTHH:MM:SS.sssZ' });
  });

  it('given the bytes of a signed report, then valid; with a byte that is no UTF-8 in place of a U+FFFD it holds, then not valid', () => {
    const replaced = { ...report, violations: [{ ...report.violations[0], message: 'a \ufffd b' }] };
    const bytes = Buffer.from(JSON.stringify(signAuditReport(replaced, keys)));
    expect(verifyAuditReport(bytes)).toMatchObject({ valid: true });
    const at = bytes.indexOf(Buffer.from('\ufffd'));
    const altered = Buffer.concat([bytes.subarray(0, at), Buffer.from([0xff]), bytes.subarray(at + 3)]);
    expect(altered.toString('utf8')).toBe(bytes.toString('utf8')); // a lax decoder reads the same text
    expect(verifyAuditReport(altered)).toMatchObject({ valid: false, reason: expect.stringContaining('invalid UTF-8') });
  });

  it('given text that is not strict JSON, then not valid with the reason', () => {
    expect(verifyAuditReport('{"ok":true,"ok":false}')).toMatchObject({ valid: false, reason: expect.stringContaining('strict JSON') });
  });
});
