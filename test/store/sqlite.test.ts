import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, watch, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { backupSqliteStore } from '../../src/store/sqlite/sqlite-backup';
import { SqliteEventStore } from '../../src/store/sqlite/sqlite-event-store.adapter';
import { WrongExpectedRevisionError, type RecordedEvent } from '../../src/store';
import { describeEventStoreContract } from './event-store.contract';
import type { ChildAck } from './sqlite-writer-child';
import { logEnd, newEvent, newStream, readWholeLog, tempDir } from './store-test-kit';

const dir = tempDir('parley-sqlite-');
const file = join(dir.path, 'contract', 'parley.sqlite');

afterAll(() => dir.remove());

describeEventStoreContract('SQLite (group commit)', {
  open: async () => SqliteEventStore.open({ file }),
});

describeEventStoreContract('SQLite (group commit off)', {
  open: async () => SqliteEventStore.open({ file: join(dir.path, 'plain.sqlite'), groupCommit: false }),
});

describe('SQLite adapter', () => {
  let store: SqliteEventStore;
  const path = join(dir.path, 'adapter.sqlite');

  beforeAll(() => {
    store = SqliteEventStore.open({ file: path, pollIntervalMs: 20 });
  });
  afterAll(() => store.close());

  it('given a new data directory, then it, the store file, its WAL and a backup copy are the owner\'s only', async () => {
    const fresh = join(dir.path, 'private', 'data', 'parley.sqlite');
    const own = SqliteEventStore.open({ file: fresh });
    const mode = (f: string) => (statSync(f).mode & 0o777).toString(8);
    try {
      await own.append(newStream(), [newEvent()], 'no_stream');
      expect([dirname(fresh), fresh, `${fresh}-wal`].map(mode)).toEqual(['700', '600', '600']);
      const { file: copy } = await backupSqliteStore(fresh, join(dir.path, 'private', 'copy.sqlite'));
      expect(mode(copy)).toBe('600');
    } finally {
      await own.close();
    }
  });

  it('given a file that appears at the backup\'s destination while it copies, then the backup fails and the file is left as it was', async () => {
    const big = join(dir.path, 'big.sqlite');
    const own = SqliteEventStore.open({ file: big });
    try {
      const pad = JSON.stringify({ pad: 'p'.repeat(4096) });
      for (let i = 0; i < 5; i++) await own.append(newStream(), Array.from({ length: 1000 }, () => newEvent('MessagePosted', pad)), 'no_stream');
    } finally {
      await own.close();
    }
    const target = join(dir.path, 'raced', 'copy.sqlite');
    mkdirSync(dirname(target), { recursive: true });
    // As soon as the copy's partial file shows, someone else writes the destination.
    const watcher = watch(dirname(target), (_event, name) => {
      if (String(name).startsWith('copy.sqlite.partial-') && !existsSync(target)) writeFileSync(target, 'PRECIOUS');
    });
    try {
      await expect(backupSqliteStore(big, target)).rejects.toThrow(/appeared during the copy; a backup never overwrites/);
    } finally {
      watcher.close();
    }
    expect(readFileSync(target, 'utf8')).toBe('PRECIOUS');
    expect(readdirSync(dirname(target))).toEqual(['copy.sqlite']); // no partial file left
  });

  it('runs WAL with synchronous=FULL, the WAL truncated to 64 MiB past a checkpoint', () => {
    expect(store.database.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.database.pragma('synchronous', { simple: true })).toBe(2);
    expect(store.database.pragma('journal_size_limit', { simple: true })).toBe(64 * 1024 * 1024);
  });

  it('group-commits concurrent appends into one transaction, each checked against the batch so far', async () => {
    const before = store.commitStats;
    const fresh = newStream();
    const busy = newStream();
    await store.append(busy, [newEvent()], 'no_stream');
    const mid = store.commitStats;
    const outcomes = await Promise.allSettled([
      store.append(fresh, [newEvent()], 'no_stream'),
      store.append(fresh, [newEvent()], 0), // sees the first append of the same batch
      store.append(fresh, [newEvent()], 0), // conflicts with it, and fails alone
      store.append(busy, [newEvent()], 0),
      ...Array.from({ length: 12 }, () => store.append(newStream(), [newEvent()], 'no_stream')),
    ]);
    const after = store.commitStats;
    expect(mid.batches - before.batches).toBe(1);
    expect(after.batches - mid.batches).toBe(1);
    expect(after.requests - mid.requests).toBe(16);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', ...Array(13).fill('fulfilled')]);
    expect((outcomes[2] as PromiseRejectedResult).reason).toBeInstanceOf(WrongExpectedRevisionError);
    expect((outcomes[2] as PromiseRejectedResult).reason).toMatchObject({ actual: 1 });
    expect((await store.readStream(fresh)).map((e) => e.revision)).toEqual([0, 1]);
  });

  it('shows a subscriber the appends of another connection to the same file (in this process)', async () => {
    const other = SqliteEventStore.open({ file: path });
    try {
      const subscription = store.subscribeToAll(await logEnd(store), { pollIntervalMs: 60_000 });
      const iterator = subscription[Symbol.asyncIterator]();
      const stream = newStream();
      const event = newEvent();
      const arrived = (async (): Promise<RecordedEvent> => {
        for (;;) {
          const { value } = await iterator.next();
          if (value.id === event.id) return value;
        }
      })();
      await new Promise((resolve) => setTimeout(resolve, 30));
      const started = Date.now();
      await other.append(stream, [event], 'no_stream');
      const seen = await arrived;
      expect(seen.stream).toBe(stream);
      expect(Date.now() - started).toBeLessThan(2_000); // data_version watch, not the 60 s poll
      await subscription.close();
    } finally {
      await other.close();
    }
  });

  it('delivers to a live subscription, in order and once each, what a forked process appends to the same file', async () => {
    const BATCHES = 5;
    const from = await logEnd(store);
    const own = [newEvent(), newEvent()];
    await store.append(newStream(), own, 'no_stream');
    // From before our own two appends: they come by catch-up; the child's come live.
    const subscription = store.subscribeToAll(from, { pollIntervalMs: 60_000 });
    const received: RecordedEvent[] = [];
    const pumped = (async () => {
      for await (const e of subscription) received.push(e);
    })();
    const until = async (n: number, ms: number): Promise<boolean> => {
      const deadline = Date.now() + ms;
      while (received.length < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      return received.length >= n;
    };
    let child: ChildProcess | undefined;
    try {
      expect(await until(own.length, 2_000)).toBe(true);
      child = fork(join(__dirname, 'sqlite-writer-child.ts'), [path, String(BATCHES)], {
        execArgv: ['--require', join(__dirname, 'register-ts.js')],
        stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      });
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
      const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
      const acks: ChildAck[] = [];
      const late: number[] = [];
      for (let b = 0; b < BATCHES; b++) {
        const message = await Promise.race([
          new Promise<{ acks: ChildAck[] }>((resolve) => child!.once('message', (m) => resolve(m as { acks: ChildAck[] }))),
          exited.then((code) => Promise.reject(new Error(`the child exited (${code}) before batch ${b}: ${stderr}`))),
        ]);
        acks.push(...message.acks);
        // The child waits for us: this batch must arrive while it runs, through the file's
        // data_version watch (the subscription's own poll is 60 s).
        if (!(await until(own.length + acks.length, 5_000))) late.push(b);
        child.send('next');
      }
      expect({ code: await exited, stderr }).toEqual({ code: 0, stderr: '' });
      expect(late).toEqual([]);
      await new Promise((r) => setTimeout(r, 200)); // nothing more, nothing twice
      const summary = (e: { stream: string; revision: number; position: string; id: string }) => [e.id, e.stream, e.revision, e.position];
      expect(acks).toHaveLength(BATCHES * 5);
      expect(received.map(summary)).toEqual((await readWholeLog(store, from)).map(summary));
      expect(received.map((e) => e.id)).toEqual([...own.map((e) => e.id), ...acks.map((a) => a.id)]);
      expect(received.slice(own.length).map(summary)).toEqual(acks.map(summary));
    } finally {
      if (child && child.exitCode === null) child.kill('SIGKILL');
      await subscription.close();
      await pumped;
    }
  }, 30_000);

  it('keeps events and nonces across a reopen', async () => {
    const stream = newStream();
    const event = newEvent();
    await store.append(stream, [event], 'no_stream');
    expect(await store.rememberNonce('key', 'reopen-nonce', Date.now() + 300_000)).toBe(true);
    const reopened = SqliteEventStore.open({ file: path });
    try {
      expect((await reopened.readStream(stream))[0].data).toBe(event.data);
      expect(await reopened.rememberNonce('key', 'reopen-nonce', Date.now() + 300_000)).toBe(false);
    } finally {
      await reopened.close();
    }
  });

  it('offers transactions on the same file for read models, rolled back on a throw', () => {
    store.transaction((db) => {
      db.exec('CREATE TABLE IF NOT EXISTS rm_test (k TEXT PRIMARY KEY, v INTEGER)');
      db.prepare('INSERT OR REPLACE INTO rm_test VALUES (?, ?)').run('a', 1);
    });
    expect(() =>
      store.transaction((db) => {
        db.prepare('UPDATE rm_test SET v = 2').run();
        throw new Error('projection failed');
      }),
    ).toThrow('projection failed');
    expect(store.database.prepare('SELECT v FROM rm_test').pluck().get()).toBe(1);
  });

  it('refuses calls after close', async () => {
    const closing = SqliteEventStore.open({ file: join(dir.path, 'closing.sqlite') });
    const pending = closing.append(newStream(), [newEvent()], 'no_stream');
    await closing.close();
    await expect(pending).resolves.toMatchObject({ created: true }); // queued before close: written
    await expect(closing.append(newStream(), [newEvent()], 'no_stream')).rejects.toMatchObject({ code: 'closed' });
    await expect(closing.readAll()).rejects.toMatchObject({ code: 'closed' });
  });
});
