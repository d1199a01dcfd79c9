/**
 * `npm run soak`: the long version of the reliability suites (test/reliability), on SQLite
 * and PostgreSQL, repeated until the duration is spent. Every suite reads its scale from
 * PARLEY_SOAK_* variables (see reliability-kit.ts `param`); the flags below set them. The
 * figures each run prints (RELIABILITY lines) are summarised at the end and merged into
 * bench/results.json. Exit code 1 if any run failed.
 *
 *   npm run soak -- --minutes 30 --kills 50 --fuzz 100000 --stores sqlite,postgres
 */
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { Command } from 'commander';

const ROOT = resolve(__dirname, '..', '..', '..');

interface Figures {
  [suite: string]: Record<string, number | string>;
}

function runJest(env: NodeJS.ProcessEnv, only: string | undefined): Promise<{ code: number; figures: Figures }> {
  const args = [join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js'), '--selectProjects', 'integration', '--runInBand', only ?? 'test/reliability/'];
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const figures: Figures = {};
  let pending = '';
  const scan = (chunk: Buffer, sink: NodeJS.WriteStream) => {
    sink.write(chunk);
    pending += chunk.toString('utf8');
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) {
      const m = /RELIABILITY (\S+) (\{.*\})\s*$/.exec(line);
      if (m) figures[m[1]] = JSON.parse(m[2]);
    }
  };
  child.stdout!.on('data', (c: Buffer) => scan(c, process.stdout));
  child.stderr!.on('data', (c: Buffer) => scan(c, process.stderr));
  return new Promise((done) => child.once('close', (code) => done({ code: code ?? 1, figures })));
}

/** The figures worth keeping in bench/results.json (timings of the load suite, counts of the others). */
function benchFigures(all: Figures): Record<string, { value: number; unit: string }> {
  const out: Record<string, { value: number; unit: string }> = {};
  for (const [suite, f] of Object.entries(all)) {
    const keep: [string, string][] = suite.startsWith('load-')
      ? [
          ['appendP50ms', 'ms'],
          ['appendP99ms', 'ms'],
          ['hotAppendP50ms', 'ms'],
          ['hotAppendP99ms', 'ms'],
          ['readP50ms', 'ms'],
          ['readP99ms', 'ms'],
          ['appendsPerSecond', 'appends/s'],
        ]
      : suite.startsWith('crash-')
        ? [['kills', 'kills survived']]
        : suite.startsWith('fuzz-')
          ? [['requests', 'bad requests']]
          : suite.startsWith('slow-consumer-')
            ? [
                ['appendedMb', 'MB'],
                ['peakMb', 'MB'],
                ['baselineMb', 'MB'],
              ]
            : [];
    for (const [name, unit] of keep) if (typeof f[name] === 'number') out[`soak.${suite}.${name}`] = { value: f[name] as number, unit };
  }
  return out;
}

async function main(): Promise<void> {
  const program = new Command('soak')
    .description('Long reliability runs: crash, load, fuzz, impersonation, privacy, backup, slow consumers')
    .option('--minutes <n>', 'keep repeating the suites until this much time has passed (at least one run)', '0')
    .option('--stores <list>', 'sqlite,postgres', 'sqlite,postgres')
    .option('--kills <n>', 'SIGKILLs per crash run', '20')
    .option('--fuzz <n>', 'bad requests per fuzz run', '50000')
    .option('--appends <n>', 'appends per writer in the load run (64 clients)', '40')
    .option('--slow-events <n>', 'events of 384 KB appended past the stuck SSE client', '1000')
    .option('--only <path>', 'one suite file, e.g. test/reliability/crash.test.ts')
    .parse(process.argv);
  const o = program.opts() as Record<string, string>;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PARLEY_SOAK: '1',
    PARLEY_SOAK_STORES: o.stores,
    PARLEY_SOAK_KILLS: o.kills,
    PARLEY_SOAK_FUZZ: o.fuzz,
    PARLEY_SOAK_LOAD_APPENDS: o.appends,
    PARLEY_SOAK_SLOW_EVENTS: o.slowEvents,
  };
  const until = Date.now() + Number(o.minutes) * 60_000;
  const failed: number[] = [];
  const all: Figures = {};
  for (let run = 1; run === 1 || Date.now() < until; run++) {
    process.stdout.write(`\n=== soak run ${run} (stores ${o.stores}, kills ${o.kills}, fuzz ${o.fuzz}, load appends ${o.appends}) ===\n`);
    const { code, figures } = await runJest(env, o.only);
    if (code !== 0) failed.push(run);
    for (const [suite, f] of Object.entries(figures)) all[`${suite}#${run}`] = f;
    if (run === 1) Object.assign(all, figures);
  }

  process.stdout.write('\n=== soak figures (measured here) ===\n');
  for (const [suite, f] of Object.entries(all)) if (!suite.includes('#')) process.stdout.write(`${suite.padEnd(20)} ${JSON.stringify(f)}\n`);
  if (failed.length === 0) {
    // Only a clean run's figures are recorded.
    const { recordResults } = require(join(ROOT, 'dist', 'bench', 'results.js')) as typeof import('../../../bench/results');
    recordResults(benchFigures(Object.fromEntries(Object.entries(all).filter(([k]) => !k.includes('#')))));
  }
  process.stdout.write(failed.length ? `\nsoak: FAILED in run(s) ${failed.join(', ')}\n` : '\nsoak: every run passed\n');
  process.exitCode = failed.length ? 1 : 0;
}

void main();
