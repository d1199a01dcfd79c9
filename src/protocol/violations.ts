/** Violation codes of DESIGN.md 1.5, stable: the server and the auditor report them. */
export const VIOLATION_CODES = [
  'malformed',
  'wrong_channel',
  'seq_gap',
  'prev_mismatch',
  'duplicate_id',
  'unknown_sender',
  'revoked_sender',
  'bad_signature',
  'body_required',
  'body_forbidden',
  'recipients_mismatch',
  'forbidden',
  'unknown_party',
  'unknown_request',
  'unknown_proposal',
  'invalid_transition',
  'proposal_hash_mismatch',
  'duplicate_acceptance',
  'duplicate_participant',
  'bad_proof',
  'quorum_not_met',
  'bad_body',
] as const;
export type ViolationCode = (typeof VIOLATION_CODES)[number];

export interface Violation {
  code: ViolationCode;
  message: string;
}

/** The codes that mean "your chain is stale": the client re-reads the head and re-signs. */
export const CHAIN_CONFLICT_CODES: readonly ViolationCode[] = ['seq_gap', 'prev_mismatch', 'duplicate_id'];

export function violation(code: ViolationCode, message: string): Violation {
  return { code, message };
}
