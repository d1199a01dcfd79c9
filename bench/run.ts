/**
 * `npm run bench`: runs every `bench/*.bench.ts` in one process, one after the other, so that
 * each ratio compares two rates measured in the same run on the same (noisy, shared) machine.
 * Pass names to run a subset: `npm run bench -- protocol store`.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { RESULTS_FILE } from './results';

export interface Benchmark {
  name: string;
  title: string;
  run(): Promise<void>;
}

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const files = readdirSync(__dirname)
    .filter((f) => f.endsWith('.bench.js'))
    .sort();
  const benchmarks = files.map((file) => (require(join(__dirname, file)) as { benchmark: Benchmark }).benchmark);
  const unknown = only.filter((name) => !benchmarks.some((b) => b.name === name));
  if (unknown.length) {
    console.error(`no benchmark named ${unknown.join(', ')}; the groups are: ${benchmarks.map((b) => b.name).join(', ')}`);
    process.exit(2);
  }
  for (const benchmark of benchmarks) {
    if (only.length && !only.includes(benchmark.name)) continue;
    console.log(`\n# ${benchmark.name}: ${benchmark.title}`);
    await benchmark.run();
  }
  console.log(`\nfigures written to ${RESULTS_FILE}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
