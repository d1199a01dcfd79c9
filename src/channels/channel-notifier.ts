import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { EventsHandler, IEventHandler } from '@nestjs/cqrs';
import { EventAppended } from './events/event-appended.event';

/**
 * Wakes live readers of a channel when this process appended to it. Other processes'
 * appends are found by the readers' own periodic re-read of the store.
 */
@Injectable()
@EventsHandler(EventAppended)
export class ChannelNotifier implements IEventHandler<EventAppended>, OnModuleDestroy {
  private readonly waiters = new Map<string, Set<() => void>>();

  handle(event: EventAppended): void {
    const set = this.waiters.get(event.channel);
    if (!set) return;
    this.waiters.delete(event.channel);
    for (const wake of set) wake();
  }

  /** Resolves on the channel's next append here, after `timeoutMs`, or when `signal` aborts. */
  wait(channel: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const set = this.waiters.get(channel) ?? new Set();
      this.waiters.set(channel, set);
      const wake = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', wake);
        set.delete(wake);
        if (set.size === 0 && this.waiters.get(channel) === set) this.waiters.delete(channel);
        resolve();
      };
      const timer = setTimeout(wake, timeoutMs);
      signal?.addEventListener('abort', wake, { once: true });
      set.add(wake);
    });
  }

  onModuleDestroy(): void {
    for (const set of this.waiters.values()) for (const wake of set) wake();
    this.waiters.clear();
  }
}
