/**
 * Runs tasks one at a time per key, in arrival order; different keys run concurrently.
 * Used to serialise everything that reads-then-mutates a channel's cached state in this
 * process (across processes the store's expected revision prevents forks).
 */
export class KeyedQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Keys with queued or running work (for tests and metrics). */
  get size(): number {
    return this.tails.size;
  }
}
