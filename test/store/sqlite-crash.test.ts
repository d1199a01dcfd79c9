import { join } from 'node:path';
import { SqliteEventStore } from '../../src/store/sqlite/sqlite-event-store.adapter';
import { appendAndKill, verifyHistory } from './crash-harness';
import { newStream, tempDir } from './store-test-kit';

jest.setTimeout(60_000);

describe('SQLite crash safety', () => {
  const dir = tempDir('parley-crash-');
  afterAll(() => dir.remove());

  it('keeps every acknowledged append, untorn and contiguous, across 12 SIGKILLs', async () => {
    const file = join(dir.path, 'parley.sqlite');
    const streams = [newStream(), newStream(), newStream()];
    const acks = await appendAndKill({ kind: 'sqlite', file }, streams, 12);
    expect(acks.length).toBeGreaterThan(12);
    const store = SqliteEventStore.open({ file });
    try {
      expect(store.database.pragma('integrity_check', { simple: true })).toBe('ok');
      const { events } = await verifyHistory(store, streams, acks);
      expect(events).toBeGreaterThanOrEqual(acks.length);
    } finally {
      await store.close();
    }
  });
});
