/** A real SQLite event store in a tmp directory, and the builder's envelopes stored in it as the service would. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { channelStream, type EventStore } from '../../src/store/event-store.port';
import { SqliteEventStore } from '../../src/store/sqlite/sqlite-event-store.adapter';
import type { NegotiationBuilder } from './negotiation-builder';

export function tmpSqliteStore(): { store: SqliteEventStore; remove(): Promise<void> } {
  const dir = mkdtempSync(join(tmpdir(), 'parley-store-'));
  const store = SqliteEventStore.open({ file: join(dir, 'events.sqlite') });
  return {
    store,
    remove: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A fresh tmp SQLite store for each test of the calling describe block (jest hooks). */
export function useTmpSqliteStore(): { readonly store: SqliteEventStore } {
  let current: ReturnType<typeof tmpSqliteStore> | null = null;
  beforeEach(() => {
    current = tmpSqliteStore();
  });
  afterEach(() => current?.remove());
  return {
    get store() {
      return current!.store;
    },
  };
}

/** Appends `n.log` from seq `from` on, with the expected revision the service uses. */
export async function storeLog(store: EventStore, n: NegotiationBuilder, from = 0): Promise<void> {
  const events = n.log.slice(from).map((e) => ({ id: e.id, type: e.type, data: JSON.stringify(e) }));
  await store.append(channelStream(n.channel), events, from === 0 ? 'no_stream' : from - 1);
}
