/** Helpers shared by the store tests: fresh names, temp dirs, PostgreSQL schemas. */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { channelStream, type EventStore, type NewEvent, type RecordedEvent } from '../../src/store';

export const POSTGRES_URL = process.env.PARLEY_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export function newStream(): string {
  return channelStream(randomUUID());
}

export function newEvent(type = 'MessagePosted', data?: string): NewEvent {
  const id = randomUUID();
  return { id, type, data: data ?? JSON.stringify({ v: 1, id, text: 'héllo ✓ 🕊', n: Math.random() }) };
}

export function tempDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** A schema of its own for each test file, so files can run in parallel; drop() removes it. */
export function testSchema(): { name: string; drop(): Promise<void> } {
  const name = `parley_test_${randomBytes(6).toString('hex')}`;
  return {
    name,
    async drop() {
      const client = new Client({ connectionString: POSTGRES_URL });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}

/** Every event of the global log after `from`, paging with readAll. */
export async function readWholeLog(store: EventStore, from?: string, page = 1000): Promise<RecordedEvent[]> {
  const all: RecordedEvent[] = [];
  let cursor = from;
  for (;;) {
    const events = await store.readAll(cursor, page);
    all.push(...events);
    if (events.length < page) return all;
    cursor = events[events.length - 1].position;
  }
}

/** The position of the log's last event, or undefined for an empty log. */
export async function logEnd(store: EventStore): Promise<string | undefined> {
  const all = await readWholeLog(store);
  return all.length ? all[all.length - 1].position : undefined;
}

/** Resolves with the rejection of `promise` (fails if it resolves). */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}
