/* global process, console */
/**
 * `npm run scan:electron`: runs @doyensec/electronegativity over the desktop sources (main/,
 * preload/ and the shell pages) and fails on any HIGH or MEDIUM finding that is not explained
 * in build/electronegativity-allowlist.json. The "available security fixes" check is skipped:
 * it downloads Electron's release list, which CI cannot reach (the Electron version is pinned
 * in package.json and updated deliberately).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const electronVersion = JSON.parse(readFileSync(join(root, 'node_modules', 'electron', 'package.json'), 'utf8')).version;
// FACTORYOPS_ELECTRONEGATIVITY_ALLOWLIST: another list (the test proves an unexplained finding fails).
const allowlistFile = process.env.FACTORYOPS_ELECTRONEGATIVITY_ALLOWLIST ?? join(root, 'build', 'electronegativity-allowlist.json');
const allowlist = JSON.parse(readFileSync(allowlistFile, 'utf8')).entries;
for (const entry of allowlist) {
  if (!entry.check || !entry.file || typeof entry.reason !== 'string' || entry.reason.length < 40) {
    console.error(`allowlist entry ${JSON.stringify(entry)} needs a check, a file and a real reason`);
    process.exit(2);
  }
}

// Scan a copy that holds only the desktop sources (not tsconfig files or other layers).
const work = mkdtempSync(join(tmpdir(), 'fo-electronegativity-'));
try {
  for (const dir of ['main', 'preload']) cpSync(join(root, dir), join(work, dir), { recursive: true, filter: (src) => !src.endsWith('.json') && !src.endsWith('.md') });
  cpSync(join(root, 'resources', 'shell'), join(work, 'resources', 'shell'), { recursive: true });
  const csv = join(work, 'findings.csv');
  const run = spawnSync(
    process.execPath,
    [join(root, 'node_modules', '@doyensec', 'electronegativity', 'dist', 'index.js'), '-i', work, '-e', electronVersion, '-r', '-v', 'false', '-x', 'AvailableSecurityFixesGlobalCheck', '-o', csv],
    { cwd: work, encoding: 'utf8', timeout: 300_000 },
  );
  if (run.status !== 0) {
    console.error(`electronegativity failed (${run.status}):\n${run.stdout}\n${run.stderr}`);
    process.exit(2);
  }
  const findings = readFileSync(csv, 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => {
      const cells = [...line.matchAll(/("([^"]*)"|[^,]*)(,|$)/g)].map((m) => (m[2] !== undefined ? m[2] : m[1]));
      return { check: cells[0], severity: cells[1], confidence: cells[2], file: cells[3], location: cells[4] };
    });
  const serious = findings.filter((f) => f.severity === 'HIGH' || f.severity === 'MEDIUM');
  const unexplained = serious.filter((f) => !allowlist.some((entry) => entry.check === f.check && entry.file === f.file));
  const stale = allowlist.filter((entry) => !serious.some((f) => entry.check === f.check && entry.file === f.file));
  console.log(`electronegativity ${electronVersion}: ${findings.length} findings, ${serious.length} high/medium, ${serious.length - unexplained.length} explained in the allowlist`);
  for (const f of findings) console.log(`  ${unexplained.includes(f) ? 'UNEXPLAINED' : 'ok         '} ${f.severity.padEnd(13)} ${f.check} ${f.file}:${f.location}`);
  for (const entry of stale) console.log(`  stale allowlist entry (no longer found): ${entry.check} ${entry.file}`);
  if (unexplained.length > 0) {
    console.error(`${unexplained.length} high/medium finding(s) are not explained in build/electronegativity-allowlist.json`);
    process.exit(1);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
