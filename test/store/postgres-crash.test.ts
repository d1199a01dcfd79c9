import { PostgresEventStore } from '../../src/store/postgres/postgres-event-store.adapter';
import { appendAndKill, verifyHistory } from './crash-harness';
import { newStream, POSTGRES_URL, testSchema } from './store-test-kit';

jest.setTimeout(60_000);

describe('PostgreSQL crash safety', () => {
  const schema = testSchema();
  afterAll(() => schema.drop());

  it('keeps every acknowledged append, untorn and contiguous, across 12 SIGKILLs', async () => {
    const streams = [newStream(), newStream(), newStream()];
    const config = { kind: 'postgres', connectionString: POSTGRES_URL, schema: schema.name } as const;
    const acks = await appendAndKill(config, streams, 12);
    expect(acks.length).toBeGreaterThan(12);
    const store = await PostgresEventStore.connect(config);
    try {
      const { events } = await verifyHistory(store, streams, acks);
      expect(events).toBeGreaterThanOrEqual(acks.length);
    } finally {
      await store.close();
    }
  });
});
