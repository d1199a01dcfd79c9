/**
 * Positions of the SQL adapters: the global sequence number, written as 20 decimal digits
 * (enough for any int64) so that plain string comparison orders them as numbers do.
 */
import { InvalidPositionError } from './event-store.errors';

const WIDTH = 20;
const DIGITS = /^\d{20}$/;

/** The log's start, before any event: the position readAll and subscribeToAll start after. */
export const SQL_LOG_START = 0;

export function encodeSqlPosition(sequence: number | bigint | string): string {
  return String(sequence).padStart(WIDTH, '0');
}

/** The sequence number in a position; undefined (the log's start) gives 0. */
export function decodeSqlPosition(position: string | undefined): number {
  if (position === undefined) return SQL_LOG_START;
  if (typeof position !== 'string' || !DIGITS.test(position)) throw new InvalidPositionError(String(position));
  const n = Number(position);
  if (!Number.isSafeInteger(n)) throw new InvalidPositionError(position);
  return n;
}
