/**
 * Bounded memory: `parley audit` (a child process, default worker count) over a generated
 * valid log of 200,000 events and over its first 50,000. The log is streamed, so four times
 * the log must not mean four times the memory: the live heap may grow only by the channel's
 * state (the protocol keeps every event id of a channel to refuse duplicates: about 100
 * bytes an event), and the peak RSS by far less than the extra log.
 */
import { execFile } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GeneratedLog, writeGeneratedLog } from '../../src/audit/generated-log.fixture';
import { BIN } from './audit-fixtures';

const dir = mkdtempSync(join(tmpdir(), 'parley-audit-memory-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Loaded into the audit process: every 250 ms a full collection, then the live heap; at exit
// the peaks (the peak RSS counts the worker threads too: they are threads of this process).
const PROBE = `
let live = 0;
setInterval(() => { global.gc(); live = Math.max(live, process.memoryUsage().heapUsed); }, 250).unref();
process.on('exit', () => require('fs').writeSync(2, 'probe ' + JSON.stringify({ rss: process.resourceUsage().maxRSS * 1024, live }) + '\\n'));
`;

/** Copies the first `lines` lines of `from` into `to`; returns the bytes copied. */
function copyPrefix(from: string, to: string, lines: number): number {
  const src = openSync(from, 'r');
  const dst = openSync(to, 'w');
  const buf = Buffer.alloc(1 << 20);
  let copied = 0;
  try {
    for (;;) {
      const n = readSync(src, buf, 0, buf.length, copied);
      let end = 0;
      for (; end < n && lines > 0; end++) if (buf[end] === 0x0a) lines--;
      writeSync(dst, buf, 0, end);
      copied += end;
      if (lines === 0 || n === 0) return copied;
    }
  } finally {
    closeSync(src);
    closeSync(dst);
  }
}

interface Run {
  report: { ok: boolean; events: number; channels: { head: string }[] };
  rss: number;
  live: number;
}

function audit(file: string, probe: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--expose-gc', '-r', probe, BIN, 'audit', '--file', file, '--json', '--quiet'], { maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      const probed = /probe (\{.*\})/.exec(stderr);
      if (err || !probed) return reject(new Error(`audit failed: ${err?.message} ${stderr}`));
      resolve({ report: JSON.parse(stdout), ...JSON.parse(probed[1]) });
    });
  });
}

describe('parley audit memory', () => {
  it('given 200k events rather than 50k, then memory grows by the channel state only, not with the log', async () => {
    const full = join(dir, 'long.ndjson');
    const prefix = join(dir, 'short.ndjson');
    const probe = join(dir, 'probe.js');
    writeFileSync(probe, PROBE);
    const log: GeneratedLog = writeGeneratedLog(full, 200_000, { contentBytes: 16 });
    const shortBytes = copyPrefix(full, prefix, 50_000);

    const short = await audit(prefix, probe);
    const long = await audit(full, probe);
    expect(short.report).toMatchObject({ ok: true, events: 50_000 });
    expect(long.report).toMatchObject({ ok: true, events: 200_000 });
    expect(long.report.channels[0].head).toBe(log.head);

    const extraEvents = 150_000;
    const extraLogBytes = log.bytes - shortBytes;
    const mb = (n: number) => `${(n / 2 ** 20).toFixed(1)} MB`;
    process.stdout.write(
      `audit memory: log ${mb(shortBytes)} → ${mb(log.bytes)}; peak RSS ${mb(short.rss)} → ${mb(long.rss)}; peak live heap ${mb(short.live)} → ${mb(long.live)}\n`,
    );
    // The state: one event id per event (a Set of 36-character strings).
    expect((long.live - short.live) / extraEvents).toBeLessThan(200);
    // Were the log held, RSS would grow by more than the extra bytes.
    expect(long.rss - short.rss).toBeLessThan(0.25 * extraLogBytes);
  }, 300_000);
});
