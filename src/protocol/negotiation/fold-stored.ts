/**
 * Folding events read back from a store. They passed `check` when appended, but a store
 * can hold what no append made (written past the service, restored from elsewhere): one
 * such event must neither throw inside `evolve` nor be folded as if the rules allowed it.
 * Its signature and proofs are not checked again here (see VERIFIED_AT_APPEND): a forged
 * one written past the service is folded, and found by `parley audit`, which verifies all.
 */
import { parseEnvelopeText } from '../envelope';
import type { Envelope } from '../types';
import { violation, type Violation } from '../violations';
import type { ChannelState } from './channel-state';
import { type CheckOptions, firstViolation } from './check';
import { evolve } from './evolve';

/**
 * The signature and participant proofs were verified when the event was appended; the
 * auditor verifies them again. Not again here: a store holds every channel anyone opened,
 * and re-verifying the proofs of each on every start (or for each channel a flood of
 * openings adds) would let anyone keep the server busy.
 */
const VERIFIED_AT_APPEND = () => true;

/** How a stored event is checked: by default the rules only (see VERIFIED_AT_APPEND). */
export type FoldOptions = Omit<CheckOptions, 'channel'>;

/**
 * Evolves `state` with the stored event `input` of `channel` if the rules allow it there,
 * and returns null; otherwise returns the violation and leaves `state` as it was. The rules
 * are checked again (a few microseconds); the signature and proofs only if `options`
 * supply verifySignature / verifyProof.
 */
export function foldStored(state: ChannelState, input: unknown, channel: string, options: FoldOptions = {}): Violation | null {
  const found = firstViolation(state, input, { verifySignature: VERIFIED_AT_APPEND, verifyProof: VERIFIED_AT_APPEND, ...options, channel });
  if (found) return found;
  evolve(state, input as Envelope);
  return null;
}

/** As foldStored, from the stored text (text that is not strict JSON is `malformed`). */
export function foldStoredText(state: ChannelState, text: string, channel: string, options?: FoldOptions): Violation | null {
  let input: unknown;
  try {
    input = parseEnvelopeText(text);
  } catch (err) {
    return violation('malformed', (err as Error).message);
  }
  return foldStored(state, input, channel, options);
}
