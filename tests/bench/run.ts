/**
 * Runs the benchmarks in tests/bench one after another, each in its own process so one
 * benchmark's heap and threads do not colour the next one's numbers.
 *
 *   npm run bench              all of them
 *   npm run bench -- history   only files whose name contains "history"
 *
 * Each benchmark prints its own table (figure beside a baseline measured in the same run).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const filter = process.argv[2] ?? '';
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts') && f.includes(filter))
  .sort();

if (files.length === 0) {
  console.error(`no benchmark matches "${filter}" in tests/bench`);
  process.exit(1);
}

let failed = 0;
for (const file of files) {
  console.log(`\n=== ${file} ===`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', join(here, file)], { stdio: 'inherit' });
  if (result.status !== 0) failed++;
}
process.exit(failed === 0 ? 0 : 1);
