import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where `npm run bench` leaves its figures; each benchmark merges its own names in. */
export const RESULTS_FILE = join(__dirname, '..', '..', 'bench', 'results.json');

export interface BenchFigure {
  value: number;
  unit: string;
}

/** Merge figures into bench/results.json (ratios use the unit "ratio"). */
export function recordResults(figures: Record<string, BenchFigure>): void {
  const current: Record<string, BenchFigure> = existsSync(RESULTS_FILE)
    ? JSON.parse(readFileSync(RESULTS_FILE, 'utf8'))
    : {};
  writeFileSync(RESULTS_FILE, JSON.stringify({ ...current, ...figures }, null, 2) + '\n');
  for (const [name, f] of Object.entries(figures)) {
    console.log(`  ${name.padEnd(34)} ${formatValue(f.value)} ${f.unit}`);
  }
}

function formatValue(v: number): string {
  return Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(3);
}

/** Runs `fn` repeatedly for about `ms` milliseconds and returns operations per second. */
export function rate(fn: () => void, ms = 1000): number {
  for (let i = 0; i < 50; i++) fn(); // warm up the JIT
  let n = 0;
  const start = process.hrtime.bigint();
  const budget = BigInt(ms) * 1_000_000n;
  let elapsed = 0n;
  while (elapsed < budget) {
    for (let i = 0; i < 50; i++) fn();
    n += 50;
    elapsed = process.hrtime.bigint() - start;
  }
  return n / (Number(elapsed) / 1e9);
}
