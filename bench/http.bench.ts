/**
 * The service's append path over HTTP (issue 4):
 * - http_append_vs_raw_verify: appends/s through POST /v1/channels/:channel/events of
 *   pre-signed envelopes (1 KiB message bodies), 16 concurrent clients over 64 channels, the
 *   whole service as `npm start` runs it (SQLite synchronous=FULL, projections and notary
 *   on), ÷ raw node:crypto Ed25519 verifies/s of the same signing inputs in this run.
 * - http_append_p99_ms (and p50): the latency of those appends.
 * - the same three figures as http_append_core_*: the append path alone (no projections
 *   or notary, which share the SQLite file and its fsyncs).
 * - append_latency_1m_vs_1k: p50 latency of sequential appends to fresh channels when the
 *   store already holds BIG events (1M unless PARLEY_BENCH_HTTP_BIG says less) ÷ the same
 *   with 1k stored, the two stores served side by side and sampled alternately. Seeded
 *   through the adapter; measured on the append path alone (the core modules, without
 *   projections, which would first have to catch up on the seeded events).
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Envelope } from '../src/protocol';
import { SQLITE_FILE_NAME } from '../src/store/event-store.factory';
import { channelStream } from '../src/store/event-store.port';
import { SqliteEventStore } from '../src/store/sqlite/sqlite-event-store.adapter';
import { NegotiationBuilder, newNotarySeed } from '../test/support/negotiation-builder';
import type { Benchmark } from './run';
import { rawVerifier } from './raw-verify';
import { rate, recordResults } from './results';

const CHANNELS = 64;
const CLIENTS = 16;
const EVENTS_PER_CHANNEL = Number(process.env.PARLEY_BENCH_HTTP_EVENTS ?? 120);
const BIG = Number(process.env.PARLEY_BENCH_HTTP_BIG ?? 1_000_000);
const SMALL = 1000;
const LATENCY_SAMPLES = 400;
const CONTENT = { text: 'x'.repeat(1024) };

type ServerKind = 'service' | 'append-path';

/** bench/http-server.child.js in its own process; resolves with its URL once it listens. */
async function startServer(kind: ServerKind, dataDir: string, notarySeed: string): Promise<{ url: string; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [join(__dirname, 'http-server.child.js'), kind], {
    env: { ...process.env, PARLEY_DATA_DIR: dataDir, PARLEY_NOTARY_SEED: notarySeed, PARLEY_STORE: 'sqlite', LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /listening (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { url: `http://127.0.0.1:${port}`, stop: () => (child.kill('SIGTERM'), exited) };
}

async function postOk(url: string, env: Envelope | string): Promise<number> {
  const body = typeof env === 'string' ? env : JSON.stringify(env);
  const channel = typeof env === 'string' ? (JSON.parse(env) as Envelope).channel : env.channel;
  const start = process.hrtime.bigint();
  const res = await fetch(`${url}/v1/channels/${channel}/events`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
  const text = await res.text();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (res.status !== 201) throw new Error(`append answered ${res.status}: ${text}`);
  return ms;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Opened channels, each with `events` MessagePosted envelopes signed ahead. */
function presign(notarySeed: string, channels: number, events: number): { opening: Envelope; messages: string[] }[] {
  return Array.from({ length: channels }, () => {
    const n = NegotiationBuilder.open({ notarySeed });
    const messages: string[] = [];
    for (let i = 0; i < events; i++) messages.push(JSON.stringify(n.message('ua.lead', ['ru', 'ua', 'us'], CONTENT.text)));
    return { opening: n.log[0], messages };
  });
}

async function throughput(kind: ServerKind, names: { ratio: string; p50: string; p99: string }): Promise<void> {
  const notarySeed = newNotarySeed();
  const channels = presign(notarySeed, CHANNELS, EVENTS_PER_CHANNEL);

  // Raw Ed25519 verify of the same signing inputs, one thread, the same key imported once.
  const sample = channels[0];
  const opening = sample.opening as Envelope<'ChannelOpened'>;
  const verifyRaw = rawVerifier(
    sample.messages.map((l) => JSON.parse(l) as Envelope),
    opening.meta.participants.find((p) => p.id === 'ua.lead')!.signKey,
  );
  let k = 0;
  const rawVerifyRate = () => rate(() => verifyRaw(k++), 1000);
  const rawBefore = rawVerifyRate();

  const dir = mkdtempSync(join(tmpdir(), 'parley-bench-http-'));
  const { url, stop } = await startServer(kind, dir, notarySeed);
  const latencies: number[] = [];
  let seconds: number;
  try {
    for (const c of channels) await postOk(url, c.opening);
    const start = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: CLIENTS }, async (_x, client) => {
        const mine = channels.filter((_c, i) => i % CLIENTS === client);
        for (let i = 0; i < EVENTS_PER_CHANNEL; i++) {
          for (const c of mine) latencies.push(await postOk(url, c.messages[i]));
        }
      }),
    );
    seconds = Number(process.hrtime.bigint() - start) / 1e9;
  } finally {
    await stop();
    rmSync(dir, { recursive: true, force: true });
  }
  // Measured again once the server has stopped (its projections may still be catching up
  // right after the appends), so that a drift of the shared machine during the run weighs
  // on both sides of the ratio.
  const raw = (rawBefore + rawVerifyRate()) / 2;
  const appendRate = latencies.length / seconds;
  latencies.sort((a, b) => a - b);
  console.log(
    `  ${latencies.length} appends by ${CLIENTS} clients over ${CHANNELS} channels: ${appendRate.toFixed(0)}/s; raw Ed25519 verify ${raw.toFixed(0)}/s`,
  );
  recordResults({
    [names.ratio]: { value: appendRate / raw, unit: 'ratio' },
    [names.p50]: { value: percentile(latencies, 50), unit: 'ms' },
    [names.p99]: { value: percentile(latencies, 99), unit: 'ms' },
  });
}

/** Seeds `count` stored events (copies of a real envelope text, 1,000 per channel) through the adapter. */
async function seed(dir: string, count: number, sampleText: string): Promise<void> {
  const store = SqliteEventStore.open({ file: join(dir, SQLITE_FILE_NAME) });
  try {
    const template = JSON.parse(sampleText) as Record<string, unknown>;
    for (let done = 0; done < count; ) {
      const n = Math.min(1000, count - done);
      const channel = randomUUID();
      const events = Array.from({ length: n }, (_x, seq) => {
        const id = randomUUID();
        return { id, type: 'MessagePosted', data: JSON.stringify({ ...template, id, channel, seq }) };
      });
      await store.append(channelStream(channel), events, 'no_stream');
      done += n;
    }
  } finally {
    await store.close();
  }
}

interface SizedStore {
  stored: number;
  url: string;
  channels: { opening: Envelope; messages: string[] }[];
  latencies: number[];
  stop(): Promise<void>;
}

/** A store seeded with `stored` events, served by the append path, warmed up and with its channels opened. */
async function sizedStore(dir: string, stored: number, notarySeed: string, sampleText: string): Promise<SizedStore> {
  const seeding = Date.now();
  await seed(dir, stored, sampleText);
  console.log(`  ${stored} events stored (seeded in ${((Date.now() - seeding) / 1000).toFixed(1)} s)`);
  const channels = presign(notarySeed, 8, LATENCY_SAMPLES / 8);
  const warmUp = presign(notarySeed, 1, 100)[0];
  const { url, stop } = await startServer('append-path', dir, notarySeed);
  try {
    // Unmeasured: the JIT and the connection pool warm up on another channel.
    for (const env of [warmUp.opening, ...warmUp.messages]) await postOk(url, env);
    for (const c of channels) await postOk(url, c.opening);
  } catch (err) {
    await stop();
    throw err;
  }
  return { stored, url, channels, latencies: [], stop };
}

/**
 * Both stores are served at once and sampled alternately (A B, then B A, …), so that the
 * disk's and the machine's slow and fast moments fall on both alike: measured one after the
 * other, minutes apart, the ratio swung between 0.64 and 1.47 from run to run.
 */
async function storeSize(): Promise<void> {
  const notarySeed = newNotarySeed();
  const sampleText = presign(notarySeed, 1, 1)[0].messages[0];
  const dirs = [SMALL, BIG].map(() => mkdtempSync(join(tmpdir(), 'parley-bench-size-')));
  const stores: SizedStore[] = [];
  try {
    for (const [i, stored] of [SMALL, BIG].entries()) stores.push(await sizedStore(dirs[i], stored, notarySeed, sampleText));
    for (let i = 0; i < LATENCY_SAMPLES / 8; i++) {
      for (let j = 0; j < stores[0].channels.length; j++) {
        const order = (i * 8 + j) % 2 === 0 ? stores : [...stores].reverse();
        for (const s of order) s.latencies.push(await postOk(s.url, s.channels[j].messages[i]));
      }
    }
    const [small, big] = stores.map((s) => {
      const sorted = [...s.latencies].sort((a, b) => a - b);
      const p50 = percentile(sorted, 50);
      console.log(`  append with ${s.stored} events stored: p50 ${p50.toFixed(2)} ms, p99 ${percentile(sorted, 99).toFixed(2)} ms`);
      return p50;
    });
    recordResults({ append_latency_1m_vs_1k: { value: big / small, unit: `ratio (${BIG} vs ${SMALL} events stored)` } });
  } finally {
    await Promise.all(stores.map((s) => s.stop()));
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
}

// 'core': the append path's throughput alone (to profile it); 'size': latency by store size alone.
const only = process.env.PARLEY_BENCH_HTTP_ONLY;

export const benchmark: Benchmark = {
  name: 'http',
  title: 'HTTP appends: throughput and p99 with 16 clients over 64 channels, latency by store size',
  async run() {
    if (only === 'core') {
      await throughput('append-path', { ratio: 'http_append_core_vs_raw_verify', p50: 'http_append_core_p50_ms', p99: 'http_append_core_p99_ms' });
      return;
    }
    if (only === 'size') return storeSize();
    console.log('  the whole service (projections and notary on):');
    await throughput('service', { ratio: 'http_append_vs_raw_verify', p50: 'http_append_p50_ms', p99: 'http_append_p99_ms' });
    console.log('  the append path alone (no projections):');
    await throughput('append-path', {
      ratio: 'http_append_core_vs_raw_verify',
      p50: 'http_append_core_p50_ms',
      p99: 'http_append_core_p99_ms',
    });
    await storeSize();
  },
};
