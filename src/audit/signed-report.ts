/**
 * A report the auditor signs so that it can be handed on (docs/audit.md):
 * the document is the report plus `signer` ({ id, fingerprint, signKey, boxKey }) and
 * `signedAt`, and
 *   signature = b64u(Ed25519-sign(auditor's seed, "parley/v1/audit-report\n" ‖ canonical(document without "signature")))
 * Anyone can check it; who the signer is, people confirm by comparing its fingerprint out of band.
 */
import {
  b64uDecode,
  b64uEncode,
  canonical,
  ed25519Signer,
  ed25519Verify,
  fingerprint,
  isB64u,
  isParticipantId,
  isTime,
  parseStrictJson,
  parseStrictJsonBytes,
} from '../protocol';
import type { AuditReport } from './audit-report';

export const AUDIT_REPORT_PREFIX = 'parley/v1/audit-report\n';

export interface ReportSigner {
  id: string;
  fingerprint: string;
  signKey: string;
  boxKey: string;
}

export interface SignedAuditReport extends AuditReport {
  signer: ReportSigner;
  signedAt: string;
  signature: string;
}

export interface SigningKeys {
  id: string;
  signSeed: string;
  signKey: string;
  boxKey: string;
}

function signedBytes(document: Omit<SignedAuditReport, 'signature'>): Buffer {
  return Buffer.from(AUDIT_REPORT_PREFIX + canonical(document));
}

export function signAuditReport(report: AuditReport, keys: SigningKeys, now = new Date()): SignedAuditReport {
  const seed = b64uDecode(keys.signSeed, 32);
  if (!seed) throw new Error('the signing seed must be 32 bytes of b64u');
  const signer: ReportSigner = { id: keys.id, fingerprint: fingerprint(keys), signKey: keys.signKey, boxKey: keys.boxKey };
  const document = { ...report, signer, signedAt: now.toISOString() };
  return { ...document, signature: b64uEncode(ed25519Signer(seed)(signedBytes(document))) };
}

export type ReportCheck = { valid: true; report: SignedAuditReport } | { valid: false; reason: string };

/** Checks a signed report's text: strict JSON, its shape, the signer's fingerprint, the signature. */
export function verifyAuditReport(text: string | Uint8Array): ReportCheck {
  let doc: Record<string, unknown>;
  try {
    // Bytes are decoded strictly: a file's invalid UTF-8 is refused, not read as U+FFFD.
    doc = typeof text === 'string' ? parseStrictJson(text) : parseStrictJsonBytes(text);
  } catch (err) {
    return { valid: false, reason: `not strict JSON: ${(err as Error).message}` };
  }
  const problem = shapeProblem(doc);
  if (problem) return { valid: false, reason: problem };
  const { signature, ...document } = doc as unknown as SignedAuditReport;
  const signer = document.signer;
  if (fingerprint(signer) !== signer.fingerprint) return { valid: false, reason: 'the fingerprint is not that of the signer keys' };
  const sig = b64uDecode(signature, 64);
  if (!sig || !ed25519Verify(signer.signKey, signedBytes(document), sig)) {
    return { valid: false, reason: 'the signature does not verify: the report was changed or not signed by this key' };
  }
  return { valid: true, report: doc as unknown as SignedAuditReport };
}

const KEYS = ['channels', 'events', 'ok', 'signature', 'signedAt', 'signer', 'violations'];

function shapeProblem(doc: Record<string, unknown>): string | null {
  const keys = Object.keys(doc).sort();
  if (keys.join() !== KEYS.join()) return `a signed report has exactly the members ${KEYS.join(', ')}`;
  const signer = doc.signer as Partial<ReportSigner> | null;
  if (
    typeof signer !== 'object' ||
    signer === null ||
    Object.keys(signer).sort().join() !== 'boxKey,fingerprint,id,signKey' ||
    !isParticipantId(signer.id) ||
    !isB64u(signer.signKey, 32) ||
    !isB64u(signer.boxKey, 32) ||
    typeof signer.fingerprint !== 'string'
  ) {
    return 'signer must be { id, fingerprint, signKey, boxKey }';
  }
  if (typeof doc.signature !== 'string') return 'signature must be b64u';
  if (typeof doc.ok !== 'boolean' || !Number.isSafeInteger(doc.events) || !Array.isArray(doc.channels) || !Array.isArray(doc.violations)) {
    return 'ok, events, channels and violations are not those of an audit report';
  }
  if (doc.ok !== (doc.violations.length === 0)) return 'ok contradicts the violations listed';
  // A time, as the protocol writes them (DESIGN.md 1.1), not free text that a reader would be shown.
  if (!isTime(doc.signedAt)) return 'signedAt must be a UTC time YYYY-MM-DDTHH:MM:SS.sssZ';
  return null;
}
