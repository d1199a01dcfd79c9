/**
 * EventStoreDB `$all` positions kept whole: commit and prepare, each as 20 decimal digits
 * (an unsigned 64-bit number has at most 20), joined by `-` — fixed width, so plain string
 * comparison orders positions as the log does (by commit, then prepare).
 */
import { InvalidPositionError } from '../event-store.errors';

export interface EsdbPosition {
  commit: bigint;
  prepare: bigint;
}

const WIDTH = 20;
const SHAPE = /^(\d{20})-(\d{20})$/;

export function encodeEsdbPosition({ commit, prepare }: EsdbPosition): string {
  return `${commit.toString().padStart(WIDTH, '0')}-${prepare.toString().padStart(WIDTH, '0')}`;
}

export function decodeEsdbPosition(position: string): EsdbPosition {
  const m = typeof position === 'string' ? SHAPE.exec(position) : null;
  if (!m) throw new InvalidPositionError(String(position));
  return { commit: BigInt(m[1]), prepare: BigInt(m[2]) };
}

/** The commit position a server sends for an event whose position it does not know: −1, as an unsigned 64-bit number. */
const UNKNOWN_COMMIT = 2n ** 64n - 1n;

/**
 * `position` if the server reported one. The client always builds a position: from
 * protobuf defaults (0, 0) when the server sent none (before 22.6, on stream reads), and
 * with commit 2^64 − 1 when the server does not know it. An application event is never at
 * 0: the log opens with the server's own records.
 */
export function reportedEsdbPosition(position: EsdbPosition | undefined): EsdbPosition | undefined {
  if (!position || position.commit === UNKNOWN_COMMIT) return undefined;
  return position.commit === 0n && position.prepare === 0n ? undefined : position;
}
