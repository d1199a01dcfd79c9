import { Injectable } from '@nestjs/common';

/** How long after a call failed for the store's sake readiness also tries a write. */
export const OUTAGE_MEMORY_MS = 60_000;

/**
 * When a call last failed because the store could not be reached or could not write (a full
 * disk answers reads and refuses every write, nonces of signed reads included): readiness
 * then proves a write, not only a read, before it says ready.
 */
@Injectable()
export class StoreOutage {
  private lastMs = -Infinity;

  noteUnavailable(nowMs = Date.now()): void {
    this.lastMs = nowMs;
  }

  recent(nowMs = Date.now()): boolean {
    return nowMs - this.lastMs < OUTAGE_MEMORY_MS;
  }
}
