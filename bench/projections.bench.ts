/**
 * Projection benchmarks (issue 4): how fast the real ProjectionRunner builds the read models
 * from position 0 of a SQLite store (`synchronous=FULL`), measured in this run.
 * - projection_events_per_s: 64 channels of mixed negotiation events, up to 500 a batch.
 * - projection_batch_vs_single: that rate ÷ the same work with one event per transaction.
 * - projection_big_channel_events_per_s: one channel with 1,000 requests, then 2,000
 *   information shares on them (every batch re-derives the touched channel's rows).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Envelope } from '../src/protocol';
import { NegotiationFixture } from '../src/protocol/negotiation/negotiation.fixture';
import { ProjectionRunner } from '../src/projections/projection.runner';
import { SqliteReadModelStore } from '../src/projections/sqlite/sqlite-read-model.store';
import { channelStream } from '../src/store/event-store.port';
import { SqliteEventStore } from '../src/store/sqlite/sqlite-event-store.adapter';
import type { Benchmark } from './run';
import { recordResults } from './results';

/** The protocol's fixture, keeping every event it applies. */
class Recording extends NegotiationFixture {
  readonly log: Envelope[] = [];
  override apply<E extends Envelope>(env: E): E {
    super.apply(env);
    this.log.push(env);
    return env;
  }
}

function mixedChannel(): Envelope[] {
  const f = new Recording();
  f.apply(f.opening({ quorum: 'sides', auditorsRead: false }));
  const requests = Array.from({ length: 12 }, () => f.request());
  for (const r of requests) f.apply(f.build('ru.lead', 'RequestInformationShared', { request: r, kind: 'health' }, { t: 'x' }));
  for (let i = 0; i < 12; i += 3) {
    const { proposal } = f.agreedTransfer(requests.slice(i, i + 3));
    f.handover(proposal, requests[i], 'released');
    f.handover(proposal, requests[i], 'received');
  }
  for (let i = 0; i < 20; i++) f.apply(f.build('us.envoy', 'MessagePosted', { audience: ['ru', 'ua', 'us'] }, { t: 'm' }));
  return f.log;
}

function bigChannel(requests: number, shares: number): Envelope[] {
  const f = new Recording();
  f.apply(f.opening({ quorum: 'sides', auditorsRead: false }));
  const ids = Array.from({ length: requests }, () => f.request());
  for (let i = 0; i < shares; i++) f.apply(f.build('ua.lead', 'RequestInformationShared', { request: ids[i % requests], kind: 'details' }, { t: 'x' }));
  return f.log;
}

/** Round robin, as concurrent clients would interleave. */
function interleave(logs: Envelope[][]): Envelope[] {
  const out: Envelope[] = [];
  const longest = Math.max(...logs.map((l) => l.length));
  for (let i = 0; i < longest; i++) for (const l of logs) if (i < l.length) out.push(l[i]);
  return out;
}

async function storeWith(dir: string, events: Envelope[]): Promise<SqliteEventStore> {
  const store = SqliteEventStore.open({ file: join(dir, 'parley.sqlite') });
  const chains = new Map<string, Envelope[]>();
  for (const e of events) chains.set(e.channel, [...(chains.get(e.channel) ?? []), e]);
  await Promise.all(
    // One append chain per channel, channels concurrently (group commit does the rest).
    [...chains.values()].map(async (chain) => {
      for (const e of chain) {
        await store.append(channelStream(e.channel), [{ id: e.id, type: e.type, data: JSON.stringify(e) }], e.seq === 0 ? 'no_stream' : e.seq - 1);
      }
    }),
  );
  return store;
}

/** Events per second of a projection from 0 to the log's end. */
async function projectionRate(store: SqliteEventStore, events: number, batchSize: number): Promise<number> {
  const readModels = new SqliteReadModelStore(store.database);
  const runner = new ProjectionRunner(store, readModels, { batchSize });
  await readModels.init();
  await readModels.reset();
  const start = process.hrtime.bigint();
  await runner.start();
  if (!(await runner.catchUp(600_000))) throw new Error('projection did not catch up');
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  await runner.stop();
  return events / seconds;
}

export const benchmark: Benchmark = {
  name: 'projections',
  title: 'read model projection rate from a SQLite store (FULL), batched vs one event per transaction',
  async run() {
    const dir = mkdtempSync(join(tmpdir(), 'parley-bench-projections-'));
    try {
      const mixed = interleave(Array.from({ length: 64 }, mixedChannel));
      const store = await storeWith(join(dir, 'mixed'), mixed);
      const batched = await projectionRate(store, mixed.length, 500);
      const single = await projectionRate(store, mixed.length, 1);
      console.log(`  ${mixed.length} events in 64 channels: batched ${batched.toFixed(0)}/s, one per transaction ${single.toFixed(0)}/s`);
      await store.close();

      const big = bigChannel(1000, 2000);
      const bigStore = await storeWith(join(dir, 'big'), big);
      const bigRate = await projectionRate(bigStore, big.length, 500);
      await bigStore.close();
      recordResults({
        projection_events_per_s: { value: batched, unit: 'events/s' },
        projection_batch_vs_single: { value: batched / single, unit: 'ratio' },
        projection_big_channel_events_per_s: { value: bigRate, unit: 'events/s' },
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
