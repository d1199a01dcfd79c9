/**
 * The event store contract: the same tests against every adapter. `open` returns a store
 * that may already hold events (tests use fresh streams and measure the log from its
 * current end); `dispose` cleans up after the file.
 */
import { randomUUID } from 'node:crypto';
import {
  comparePositions,
  EventStoreClosedError,
  IdempotencyError,
  InvalidArgumentError,
  InvalidPositionError,
  StreamNotFoundError,
  WrongExpectedRevisionError,
  type AppendResult,
  type EventStore,
  type RecordedEvent,
} from '../../src/store';
import { logEnd, newEvent, newStream, readWholeLog, rejectionOf } from './store-test-kit';

export interface ContractTarget {
  open(): Promise<EventStore>;
  dispose?(): Promise<void>;
  /**
   * false: an event id is recognised only at the revision it was written at, or on a
   * conflict near the stream's head (EventStoreDB: the server checks no more, and scanning
   * the stream would cost its length); the same id with other content is then refused there
   * only. The channel's own `duplicate_id` rule keeps ids unique above the store.
   */
  idsUniqueAcrossStream?: boolean;
}

export function describeEventStoreContract(name: string, target: ContractTarget): void {
  describe(`EventStore contract: ${name}`, () => {
    let store: EventStore;

    beforeAll(async () => {
      store = await target.open();
    });

    afterAll(async () => {
      await store?.close();
      await target.dispose?.();
    });

    it('appends and reads back the exact bytes, in revision order', async () => {
      const stream = newStream();
      const tricky = '{"text":"\\u2028 é 🕊 \\"quoted\\"","n":0,"nested":{"a":[1,2,3]},  "spaces" : true }';
      const events = [newEvent('ChannelOpened', tricky), newEvent(), newEvent()];
      const result = await store.append(stream, events, 'no_stream');
      expect(result.created).toBe(true);
      expect(result.nextRevision).toBe(2);
      expect(result.events.map((e) => e.revision)).toEqual([0, 1, 2]);
      expect(result.position).toBe(result.events[2].position);
      expect(isIncreasing(result.events.map((e) => e.position))).toBe(true);

      const read = await store.readStream(stream);
      expect(read.map(({ stream: s, id, type, revision, position, data }) => ({ s, id, type, revision, position, data }))).toEqual(
        events.map((e, i) => ({ s: stream, ...e, revision: i, position: result.events[i].position })),
      );
      expect(read[0].data).toBe(tricky);
      expect(await store.readStream(stream, 1, 1)).toEqual([read[1]]);
      expect(await store.readStream(stream, 3)).toEqual([]);
      expect(await store.streamHead(stream)).toEqual({ revision: 2, position: result.position });

      const next = await store.append(stream, [newEvent()], 2);
      expect(next.nextRevision).toBe(3);
      expect(comparePositions(next.position, result.position)).toBe(1);
    });

    it('rejects a wrong expected revision for a new and for an existing stream, writing nothing', async () => {
      const fresh = newStream();
      const onNew = await rejectionOf(store.append(fresh, [newEvent()], 0));
      expect(onNew).toBeInstanceOf(WrongExpectedRevisionError);
      expect(onNew).toMatchObject({ stream: fresh, expected: 0, actual: 'no_stream' });
      expect(await store.streamHead(fresh)).toBeNull();

      const stream = newStream();
      await store.append(stream, [newEvent(), newEvent()], 'no_stream');
      for (const expected of ['no_stream', 0, 2, 7] as const) {
        const error = await rejectionOf(store.append(stream, [newEvent()], expected));
        expect(error).toBeInstanceOf(WrongExpectedRevisionError);
        expect(error).toMatchObject({ stream, expected, actual: 1 });
      }
      expect((await store.readStream(stream)).length).toBe(2);
    });

    it('treats a retry of the same event ids as success, without a duplicate', async () => {
      const stream = newStream();
      const first = newEvent();
      const original = await store.append(stream, [first], 'no_stream');
      const retry = await store.append(stream, [first], 'no_stream');
      expect(retry).toEqual({ ...original, created: false });

      const pair = [newEvent(), newEvent()];
      const written = await store.append(stream, pair, 0);
      await store.append(stream, [newEvent()], 2);
      // Retried after others appended behind it: the expected revision no longer matches.
      expect(await store.append(stream, [first], 'no_stream')).toEqual({ ...original, created: false });
      expect(await store.append(stream, pair, 0)).toEqual({ ...written, created: false });
      expect((await store.readStream(stream)).map((e) => e.id)).toEqual([first.id, pair[0].id, pair[1].id, expect.any(String)]);
      const log = await readWholeLog(store);
      expect(log.filter((e) => e.id === first.id)).toHaveLength(1);
    });

    it('resolves concurrent retries of one append to a single write', async () => {
      const stream = newStream();
      const event = newEvent();
      const results = await Promise.all(Array.from({ length: 8 }, () => store.append(stream, [event], 'no_stream')));
      expect(results.filter((r) => r.created)).toHaveLength(1);
      expect(new Set(results.map((r) => r.position)).size).toBe(1);
      expect(await store.readStream(stream)).toHaveLength(1);
    });

    it('resolves concurrent identical appends from two instances to a single write', async () => {
      // EventStoreDB may leave a duplicate of an append it has not finished unanswered
      // (IdempotentNotReady): the client's deadline passes, and the adapter must look.
      const second = await target.open();
      try {
        const stream = newStream();
        const event = newEvent();
        const results = await Promise.all(
          Array.from({ length: 32 }, (_, i) => (i % 2 === 0 ? store : second).append(stream, [event], 'no_stream')),
        );
        expect(results.filter((r) => r.created)).toHaveLength(1);
        expect(new Set(results.map((r) => r.position)).size).toBe(1);
        expect(await store.readStream(stream)).toHaveLength(1);
      } finally {
        await second.close();
      }
    });

    it('of racing appends of one event id with different content, stores one and refuses the others', async () => {
      // EventStoreDB answers every one of them with success (it matches ids only).
      const stream = newStream();
      const id = randomUUID();
      const variants = Array.from({ length: 8 }, (_, i) => ({ id, type: 'MessagePosted', data: JSON.stringify({ text: `variant ${i}` }) }));
      const race = await Promise.allSettled(variants.map((e) => store.append(stream, [e], 'no_stream')));
      const won = race.flatMap((r, i) => (r.status === 'fulfilled' ? [{ i, result: r.value }] : []));
      expect(won).toHaveLength(1);
      expect(won[0].result.created).toBe(true);
      for (const r of race) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(IdempotencyError);
      expect((await store.readStream(stream)).map((e) => e.data)).toEqual([variants[won[0].i].data]);
    });

    it('refuses the same event id with other content, or a partly stored batch', async () => {
      const stream = newStream();
      const event = newEvent();
      await store.append(stream, [event], 'no_stream');
      // Retried at its own revision (as a retried envelope is, with its seq).
      const otherData = await rejectionOf(store.append(stream, [{ ...event, data: event.data + ' ' }], 'no_stream'));
      expect(otherData).toBeInstanceOf(IdempotencyError);
      expect(otherData).toMatchObject({ stream, eventId: event.id });
      expect(String(otherData)).toMatch(/another type or data/);
      expect(await rejectionOf(store.append(stream, [{ ...event, type: 'Other' }], 'no_stream'))).toBeInstanceOf(IdempotencyError);
      expect(await rejectionOf(store.append(stream, [event, newEvent()], 'no_stream'))).toBeInstanceOf(IdempotencyError);
      if (target.idsUniqueAcrossStream !== false) {
        // At the next revision, where the expected revision holds.
        expect(await rejectionOf(store.append(stream, [{ ...event, data: event.data + ' ' }], 0))).toBeInstanceOf(IdempotencyError);
        expect(await rejectionOf(store.append(stream, [{ ...event, type: 'Other' }], 0))).toBeInstanceOf(IdempotencyError);
      }
      expect((await store.readStream(stream)).length).toBe(1);
    });

    it('keeps one global order, readable in pages, exclusive of the start position', async () => {
      const start = await logEnd(store);
      const streams = [newStream(), newStream(), newStream()];
      const heads = new Map<string, number>();
      const appended: string[] = [];
      for (let i = 0; i < 12; i++) {
        const stream = streams[i % 3];
        const event = newEvent();
        const head = heads.get(stream);
        const result = await store.append(stream, [event], head === undefined ? 'no_stream' : head);
        heads.set(stream, result.nextRevision);
        appended.push(event.id);
      }
      const log = await readWholeLog(store, start);
      expect(log.map((e) => e.id)).toEqual(appended);
      const positions = log.map((e) => e.position);
      expect(isIncreasing(positions)).toBe(true);
      expect([...positions].sort()).toEqual(positions); // plain string order is log order
      expect([...positions].reverse().sort(comparePositions)).toEqual(positions);

      const paged = await readWholeLog(store, start, 5);
      expect(paged).toEqual(log);
      expect((await store.readAll(log[4].position, 3)).map((e) => e.id)).toEqual(appended.slice(5, 8));
      expect(await store.readAll(log[11].position, 10)).toEqual([]);
    });

    it('reads only the types asked for, in log order, paging as ever', async () => {
      const start = await logEnd(store);
      const stream = newStream();
      const types = ['ChannelOpened', 'MessagePosted', 'MessagePosted', 'ParticipantAdmitted', 'MessagePosted', 'ParticipantRevoked', 'MessagePosted'];
      const events = types.map((type) => newEvent(type));
      await store.append(stream, events, 'no_stream');
      const wanted = events.filter((e) => e.type !== 'MessagePosted').map((e) => e.id);
      const membership = { types: ['ChannelOpened', 'ParticipantAdmitted', 'ParticipantRevoked'] };
      const all = await store.readAll(start, 100, membership);
      expect(all.map((e) => e.id)).toEqual(wanted);
      expect(all.map((e) => e.data)).toEqual(events.filter((e) => e.type !== 'MessagePosted').map((e) => e.data));
      const first = await store.readAll(start, 2, membership);
      expect(first.map((e) => e.id)).toEqual(wanted.slice(0, 2));
      expect((await store.readAll(first[1].position, 2, membership)).map((e) => e.id)).toEqual(wanted.slice(2));
      expect(await store.readAll(start, 100, { types: [] })).toEqual([]);
      expect(await store.readAll(all[2].position, 100, membership)).toEqual([]);
      // Where such a reader may go on from: the log's last event, of whatever type.
      const end = await store.logEnd();
      expect(end).toBe((await readWholeLog(store, start)).at(-1)!.position);
      expect(await store.readAll(end, 100)).toEqual([]);
    });

    it('reads where events stand without their data when asked, of all types or some, paging as ever', async () => {
      const start = await logEnd(store);
      const stream = newStream();
      const events = ['ChannelOpened', 'MessagePosted', 'ParticipantAdmitted', 'MessagePosted'].map((type) => newEvent(type));
      await store.append(stream, events, 'no_stream');
      const full = await store.readAll(start, 100);
      const bare = await store.readAll(start, 100, { withoutData: true });
      expect(bare).toEqual(full.map((e) => ({ ...e, data: '' })));
      expect(full.every((e) => e.data.length > 0)).toBe(true);
      expect(await store.readAll(bare[1].position, 2, { withoutData: true })).toEqual(bare.slice(2, 4));
      const opened = await store.readAll(start, 100, { types: ['ChannelOpened', 'ParticipantAdmitted'], withoutData: true });
      expect(opened).toEqual([bare[0], bare[2]]);
    });

    it('answers many full pages in a row, and every call after them', async () => {
      // EventStoreDB: a read left at a full page must be cancelled, or it holds one of the
      // server's 100 HTTP/2 streams per connection; 150 such pages would then hang the store.
      // 1 MiB after `start` is more than gRPC buffers for a reader that stopped reading.
      const start = await logEnd(store);
      const stream = newStream();
      let head: number | 'no_stream' = 'no_stream';
      for (let i = 0; i < 4; i++) {
        const padded = Array.from({ length: 16 }, () => newEvent('MessagePosted', JSON.stringify({ pad: 'p'.repeat(16 * 1024) })));
        head = (await store.append(stream, padded, head)).nextRevision;
      }
      for (let page = 0; page < 150; page++) expect(await store.readAll(start, 1)).toHaveLength(1);
      expect(await store.streamHead(stream)).toMatchObject({ revision: 63 });
      expect(await store.readStream(stream, 60)).toHaveLength(4);
    });

    it('subscribes: catches up, then delivers live events appended during the switch, without gap or duplicate', async () => {
      const start = await logEnd(store);
      const stream = newStream();
      const other = newStream();
      let head = (await store.append(stream, Array.from({ length: 20 }, () => newEvent()), 'no_stream')).nextRevision;
      const subscription = store.subscribeToAll(start, { batchSize: 7, pollIntervalMs: 50 });
      const seen: RecordedEvent[] = [];
      let writer: Promise<void> | undefined;
      for await (const event of subscription) {
        seen.push(event);
        if (seen.length === 5) {
          // Appends while the subscription is still catching up, and after it went live.
          writer = (async () => {
            let otherHead: number | 'no_stream' = 'no_stream';
            for (let i = 0; i < 15; i++) {
              const [a, b]: AppendResult[] = await Promise.all([
                store.append(stream, [newEvent()], head),
                store.append(other, [newEvent()], otherHead),
              ]);
              head = a.nextRevision;
              otherHead = b.nextRevision;
              if (i % 5 === 4) await sleep(30);
            }
          })();
        }
        if (seen.length === 50) break;
      }
      await writer;
      const log = await readWholeLog(store, start);
      expect(log).toHaveLength(50);
      expect(seen.map(summary)).toEqual(log.map(summary));

      const from = log[9].position;
      const resumed = store.subscribeToAll(from);
      const iterator = resumed[Symbol.asyncIterator]();
      expect(summary((await iterator.next()).value)).toEqual(summary(log[10]));
      await resumed.close();
    });

    it('ends a waiting subscription when it is closed', async () => {
      const subscription = store.subscribeToAll(await logEnd(store), { pollIntervalMs: 10_000 });
      const pending = subscription[Symbol.asyncIterator]().next();
      await sleep(20);
      await subscription.close();
      await expect(pending).resolves.toEqual({ done: true, value: undefined });
    });

    it('lets exactly one of 32 racing appenders win a revision, and all of them in turn with retries', async () => {
      const stream = newStream();
      await store.append(stream, [newEvent()], 'no_stream');
      const race = await Promise.allSettled(Array.from({ length: 32 }, () => store.append(stream, [newEvent()], 0)));
      const winners = race.filter((r) => r.status === 'fulfilled');
      const losers = race.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
      expect(winners).toHaveLength(1);
      expect(losers).toHaveLength(31);
      for (const loser of losers) {
        expect(loser).toBeInstanceOf(WrongExpectedRevisionError);
        expect(loser).toMatchObject({ stream, expected: 0, actual: 1 });
      }

      let conflicts = 0;
      const ids = await Promise.all(
        Array.from({ length: 32 }, async () => {
          const event = newEvent();
          for (let attempt = 0; attempt < 500; attempt++) {
            const head = await store.streamHead(stream);
            try {
              await store.append(stream, [event], head!.revision);
              return event.id;
            } catch (error) {
              if (!(error instanceof WrongExpectedRevisionError)) throw error;
              conflicts++;
            }
          }
          throw new Error('starved');
        }),
      );
      const events = await store.readStream(stream);
      expect(events.map((e) => e.revision)).toEqual(Array.from({ length: 34 }, (_, i) => i));
      expect(new Set(events.map((e) => e.id)).size).toBe(34);
      expect(events.slice(2).map((e) => e.id).sort()).toEqual([...ids].sort());
      expect(conflicts).toBeGreaterThan(0);
    });

    it('answers the calls in flight when closed, in full and before close resolves, and refuses later ones', async () => {
      const own = await target.open();
      const stream = newStream();
      // 1 MiB to read, so that the read is still under way when close() is called.
      const padded = Array.from({ length: 16 }, () => newEvent('MessagePosted', JSON.stringify({ pad: 'p'.repeat(64 * 1024) })));
      await own.append(stream, padded.slice(0, 8), 'no_stream');
      await own.append(stream, padded.slice(8), 7);
      const settled: string[] = [];
      const reading = own.readStream(stream).finally(() => settled.push('read'));
      const later = newEvent();
      const appending = own.append(stream, [later], 15).finally(() => settled.push('append'));
      await own.close();
      settled.push('closed');
      expect(settled).toHaveLength(3);
      expect(settled[2]).toBe('closed');
      // The append may or may not be seen by the concurrent read; the 16 before it are.
      expect((await reading).slice(0, 16).map((e) => e.id)).toEqual(padded.map((e) => e.id));
      expect((await appending).created).toBe(true);
      await expect(own.readStream(stream)).rejects.toBeInstanceOf(EventStoreClosedError);
      await expect(own.append(stream, [newEvent()], 16)).rejects.toBeInstanceOf(EventStoreClosedError);
      expect((await store.readStream(stream)).map((e) => e.id)).toEqual([...padded, later].map((e) => e.id));
    });

    it("stores an event of 1 MiB (the service's default envelope limit) intact", async () => {
      const stream = newStream();
      // '{"text":"' + text + '"}', 1 MiB in all; é is 2 bytes in UTF-8, 🕊 4.
      const text = 'x'.repeat(1024 * 1024 - 11 - 6) + '\u00e9🕊';
      const event = newEvent('MessagePosted', JSON.stringify({ text }));
      expect(Buffer.byteLength(event.data)).toBe(1024 * 1024);
      const result = await store.append(stream, [event], 'no_stream');
      const [read] = await store.readStream(stream);
      expect(read.data === event.data).toBe(true);
      const [inLog] = await store.readAll(positionBefore(result.position, await readWholeLog(store)), 1);
      expect(inLog.id).toBe(event.id);
      expect(inLog.data === event.data).toBe(true);
    });

    it('answers a read of a stream that does not exist with StreamNotFoundError', async () => {
      const stream = newStream();
      const error = await rejectionOf(store.readStream(stream));
      expect(error).toBeInstanceOf(StreamNotFoundError);
      expect(error).toMatchObject({ stream, code: 'stream_not_found' });
      expect(await store.streamHead(stream)).toBeNull();
    });

    it('refuses arguments that can never work', async () => {
      await expect(store.append(newStream(), [], 'no_stream')).rejects.toBeInstanceOf(InvalidArgumentError);
      const event = newEvent();
      await expect(store.append(newStream(), [event, event], 'no_stream')).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(store.append(newStream(), [newEvent()], -1)).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(store.readAll('not-a-position')).rejects.toBeInstanceOf(InvalidPositionError);
    });

    it('remembers a nonce once per key within its window, across instances', async () => {
      const keyid = randomUUID();
      const nonce = randomUUID();
      const now = Date.now();
      expect(await store.rememberNonce(keyid, nonce, now + 300_000, now)).toBe(true);
      expect(await store.rememberNonce(keyid, nonce, now + 300_000, now + 1)).toBe(false);
      expect(await store.rememberNonce(randomUUID(), nonce, now + 300_000, now)).toBe(true);
      const second = await target.open();
      try {
        expect(await second.rememberNonce(keyid, nonce, now + 300_000, now + 2)).toBe(false);
      } finally {
        await second.close();
      }
      // Once expired, the record is purged and the nonce may be recorded anew.
      expect(await store.rememberNonce(keyid, nonce, now + 600_000, now + 300_000)).toBe(true);
      expect(await store.rememberNonce(keyid, nonce, now + 600_000, now + 300_001)).toBe(false);

      const racing = randomUUID();
      const answers = await Promise.all(Array.from({ length: 10 }, () => store.rememberNonce(keyid, racing, now + 300_000, now)));
      expect(answers.filter(Boolean)).toHaveLength(1);
    });
  });
}

function isIncreasing(positions: string[]): boolean {
  return positions.every((p, i) => i === 0 || comparePositions(positions[i - 1], p) < 0);
}

function summary(e: RecordedEvent): string {
  return `${e.position} ${e.stream} ${e.revision} ${e.id}`;
}

/** The position just before `position` in `log` (undefined at the start). */
function positionBefore(position: string, log: RecordedEvent[]): string | undefined {
  const i = log.findIndex((e) => e.position === position);
  return i > 0 ? log[i - 1].position : undefined;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
