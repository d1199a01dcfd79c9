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
