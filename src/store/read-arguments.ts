/** Checks of read arguments shared by the adapters; bad ones throw InvalidArgumentError. */
import { InvalidArgumentError } from './event-store.errors';

/** readAll's page size when the caller gives none. */
export const DEFAULT_READ_ALL_LIMIT = 1000;

export function checkRevision(fromRevision: number): number {
  if (!Number.isSafeInteger(fromRevision) || fromRevision < 0) {
    throw new InvalidArgumentError(`fromRevision must be an integer ≥ 0, got ${String(fromRevision)}`);
  }
  return fromRevision;
}

/** The limit to apply, or undefined for "no limit" when `fallback` is undefined. */
export function checkLimit<F extends number | undefined>(limit: number | undefined, fallback: F): number | F {
  if (limit === undefined) return fallback;
  if (!Number.isSafeInteger(limit) || limit < 1) throw new InvalidArgumentError(`limit must be an integer ≥ 1, got ${String(limit)}`);
  return limit;
}
