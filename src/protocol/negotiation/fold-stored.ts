/**
 * Folding events read back from a store. They passed `check` when appended, but a store
 * can hold what no append made (written past the service, restored from elsewhere): one
 * such event must neither throw inside `evolve` nor be folded as if the rules allowed it.
 */
import { parseEnvelopeText } from '../envelope';
import type { Envelope } from '../types';
import { violation, type Violation } from '../violations';
import type { ChannelState } from './channel-state';
import { type CheckOptions, firstViolation } from './check';
import { evolve } from './evolve';

/** The signature was verified when the event was appended; the auditor verifies it again. */
const VERIFIED_AT_APPEND = () => true;

/** How a stored event is checked: by default the rules only (see VERIFIED_AT_APPEND). */
export type FoldOptions = Omit<CheckOptions, 'channel'>;

/**
 * Evolves `state` with the stored event `input` of `channel` if the rules allow it there,
 * and returns null; otherwise returns the violation and leaves `state` as it was. The rules
 * are checked again (a few microseconds), the signature is not unless `options` say so
 * (the key directory, which folds the rare membership events, verifies it too).
 */
export function foldStored(state: ChannelState, input: unknown, channel: string, options: FoldOptions = { verifySignature: VERIFIED_AT_APPEND }): Violation | null {
  const found = firstViolation(state, input, { ...options, channel });
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
