/**
 * Auditor benchmarks (issue 6): `parley audit` over a generated log of 1M events (one
 * channel of MessagePosted with a body for three recipients; PARLEY_AUDIT_BENCH_EVENTS
 * changes the size), run as a real child process with one worker thread and with two.
 * Each audit rate is divided by the raw node:crypto Ed25519 verify rate of one thread,
 * measured in this run right before and right after that audit (the mean of the two).
 * - audit_1w_vs_raw_verify, audit_2w_vs_raw_verify: goals ≥ 0.9 and ≥ 1.7.
 * - audit_peak_rss_mb: the largest peak RSS of the two audit processes (workers included).
 * The log is generated once into the temp directory and reused by later runs. Each run also
 * prints the audit's CPU time per event (all threads) against a raw verify's, and the load
 * average: on a shared machine the wall-clock ratios say as much about the neighbours.
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Envelope, parseEnvelopeText } from '../src/protocol';
import { GeneratedLog, writeGeneratedLog } from '../src/audit/generated-log.fixture';
import type { Benchmark } from './run';
import { rawVerifier } from './raw-verify';
import { rate, recordResults } from './results';

const EVENTS = Number(process.env.PARLEY_AUDIT_BENCH_EVENTS ?? 1_000_000);
const CLI = join(__dirname, '..', 'src', 'cli', 'main.js');

function generatedLog(): { path: string; log: GeneratedLog } {
  const path = join(tmpdir(), `parley-audit-bench-${EVENTS}.ndjson`);
  const meta = `${path}.json`;
  if (existsSync(path) && existsSync(meta)) return { path, log: JSON.parse(readFileSync(meta, 'utf8')) };
  const started = Date.now();
  const log = writeGeneratedLog(path, EVENTS);
  writeFileSync(meta, JSON.stringify(log));
  console.log(`  generated ${EVENTS} events (${(log.bytes / 1e6).toFixed(0)} MB) in ${((Date.now() - started) / 1000).toFixed(1)} s: ${path}`);
  return { path, log };
}

/** Raw verifies per second (wall clock, one thread) and the CPU microseconds each took. */
async function rawVerifyRate(path: string): Promise<{ rate: number; cpuUs: number }> {
  const envs: Envelope[] = [];
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  for await (const line of lines) {
    if (envs.length === 2001) break;
    envs.push(parseEnvelopeText(line) as Envelope);
  }
  lines.close();
  const messages = envs.slice(1);
  const opening = envs[0] as Envelope<'ChannelOpened'>;
  const verifyRaw = rawVerifier(messages, opening.meta.participants.find((p) => p.id === messages[0].sender)!.signKey);
  let i = 0;
  const cpu = process.cpuUsage();
  const perSecond = rate(() => verifyRaw(i++), 2000);
  const used = process.cpuUsage(cpu);
  return { rate: perSecond, cpuUs: (used.user + used.system) / i };
}

/** One `parley audit` process: events per second, its peak RSS in MB, and its CPU microseconds (all threads) per event. */
function auditRun(path: string, log: GeneratedLog, workers: number, preload: string): { rate: number; rssMb: number; cpuUs: number } {
  const started = process.hrtime.bigint();
  const res = spawnSync(process.execPath, ['-r', preload, CLI, 'audit', '--file', path, '--json', '--quiet', '--workers', String(workers)], {
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (res.status !== 0) throw new Error(`audit exited ${res.status}: ${res.stderr}`);
  const report = JSON.parse(res.stdout) as { ok: boolean; events: number; channels: { head: string }[] };
  if (!report.ok || report.events !== log.events || report.channels[0].head !== log.head) throw new Error('the audit did not verify the generated log');
  const probe = /probe (\{.*\})/.exec(res.stderr);
  if (!probe) throw new Error('no peak RSS reported');
  const { maxRssKb, cpuUs } = JSON.parse(probe[1]) as { maxRssKb: number; cpuUs: number };
  return { rate: log.events / seconds, rssMb: maxRssKb / 1024, cpuUs: cpuUs / log.events };
}

export const benchmark: Benchmark = {
  name: 'audit',
  title: `parley audit of a generated ${EVENTS}-event log, 1 and 2 worker threads, vs raw Ed25519 verify`,
  async run() {
    const { path, log } = generatedLog();
    const preload = join(tmpdir(), 'parley-audit-bench-rss.js');
    writeFileSync(
      preload,
      "process.on('exit', () => { const r = process.resourceUsage(); require('fs').writeSync(2, 'probe ' + JSON.stringify({ maxRssKb: r.maxRSS, cpuUs: r.userCPUTime + r.systemCPUTime }) + '\\n'); });\n",
    );
    const figures: Record<string, { rate: number; raw: number; rssMb: number }> = {};
    for (const workers of [1, 2]) {
      // Raw verify before and after the audit (minutes long), so that a drift of the shared
      // machine weighs on both sides: measured only before, audit_2w was 1.25 in one run and 1.60
      // in the next, 40 minutes later.
      const before = await rawVerifyRate(path);
      const run = auditRun(path, log, workers, preload);
      const after = await rawVerifyRate(path);
      const raw = { rate: (before.rate + after.rate) / 2, cpuUs: (before.cpuUs + after.cpuUs) / 2 };
      figures[workers] = { ...run, raw: raw.rate };
      // CPU per event against CPU per raw verify: what the ratios would approach on idle cores (the machine may be shared).
      console.log(
        `  ${workers} worker(s): audit ${run.rate.toFixed(0)} events/s, raw verify ${raw.rate.toFixed(0)}/s, ` +
          `CPU ${run.cpuUs.toFixed(1)} µs/event vs ${raw.cpuUs.toFixed(1)} µs/verify, peak RSS ${run.rssMb.toFixed(0)} MB, load average ${loadavg()[0].toFixed(1)}`,
      );
    }
    recordResults({
      audit_1w_vs_raw_verify: { value: figures[1].rate / figures[1].raw, unit: 'ratio' },
      audit_2w_vs_raw_verify: { value: figures[2].rate / figures[2].raw, unit: 'ratio' },
      audit_peak_rss_mb: { value: Math.max(figures[1].rssMb, figures[2].rssMb), unit: 'MB' },
    });
  },
};
