/**
 * Makes sure renderer/dist is a build of the current sources before a browser test loads it.
 * `npm test` builds the UI first (package.json); this covers `npx vitest run tests/e2e` after
 * an edit. Builds at most once at a time across test workers (a lock directory).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const DIST_INDEX = join(REPO_ROOT, 'renderer', 'dist', 'index.html');
const LOCK = join(REPO_ROOT, 'renderer', '.build-ui.lock');
const SOURCES = [join(REPO_ROOT, 'renderer', 'src'), join(REPO_ROOT, 'renderer', 'index.html'), join(REPO_ROOT, 'renderer', 'vite.config.ts'), join(REPO_ROOT, 'engine')];

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = 0;
  for (const name of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, name)));
  return newest;
}

function fresh(): boolean {
  return existsSync(DIST_INDEX) && statSync(DIST_INDEX).mtimeMs >= Math.max(...SOURCES.map(newestMtime));
}

async function withLock<T>(work: () => T): Promise<T> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch {
      // Another worker is building; a lock older than two minutes is left over from a crash.
      if (existsSync(LOCK) && Date.now() - statSync(LOCK).mtimeMs > 120_000) rmdirSync(LOCK);
      if (Date.now() > deadline) throw new Error(`waited too long for ${LOCK}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  try {
    return work();
  } finally {
    rmdirSync(LOCK);
  }
}

export async function ensureUiBuilt(): Promise<void> {
  if (fresh()) return;
  await withLock(() => {
    if (fresh()) return;
    const result = spawnSync(process.execPath, [join(REPO_ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', 'renderer/vite.config.ts', '--logLevel', 'warn'], {
      cwd: REPO_ROOT,
      // Vitest sets NODE_ENV=test, which would give React's development build.
      env: { ...process.env, NODE_ENV: 'production' },
      encoding: 'utf8',
      timeout: 180_000,
    });
    if (result.status !== 0) throw new Error(`vite build failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  });
}
