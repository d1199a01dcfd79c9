/**
 * Wakes idle subscriptions when something was appended. A version counter closes the race
 * between "read an empty page" and "start waiting": a waiter passes the version it saw
 * before reading and returns at once if an append happened since.
 */
export class ChangeSignal {
  private version = 0;
  private readonly waiters = new Set<() => void>();

  get current(): number {
    return this.version;
  }

  get waiting(): number {
    return this.waiters.size;
  }

  notify(): void {
    this.version++;
    for (const wake of [...this.waiters]) wake();
  }

  /** Resolves when the version moves past `seen`, after `timeoutMs`, or on abort. */
  waitForChange(seen: number, timeoutMs: number, abort?: AbortSignal): Promise<void> {
    if (this.version !== seen || abort?.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(done);
        abort?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.waiters.add(done);
      abort?.addEventListener('abort', done, { once: true });
    });
  }
}
