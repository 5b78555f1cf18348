/**
 * The desktop app as electron-builder packs it (`--linux --dir` with a stand-in Electron
 * folder, since the Electron binary cannot be downloaded here): app.asar holds the bundled
 * main and preload, the shell pages and the renderer build — and no node_modules, so none of
 * the server's native modules — and app-update.yml names the generic site-server feed.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import asar from '@electron/asar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, ensureUiBuilt } from '../../e2e/support/ui-build.js';

let work: string;
let resources: string;

beforeAll(async () => {
  await ensureUiBuilt();
  work = mkdtempSync(join(tmpdir(), 'fo-desktop-pack-'));
  const stub = join(work, 'electron-dist');
  spawnSync('mkdir', ['-p', stub]);
  writeFileSync(join(stub, 'electron'), '#!/bin/sh\n');
  chmodSync(join(stub, 'electron'), 0o755);
  const bundle = spawnSync(process.execPath, [join(REPO_ROOT, 'build', 'bundle-desktop.mjs')], { cwd: REPO_ROOT, encoding: 'utf8' });
  if (bundle.status !== 0) throw new Error(`bundle-desktop failed: ${bundle.stderr}`);
  const pack = spawnSync(
    process.execPath,
    [join(REPO_ROOT, 'node_modules', 'electron-builder', 'cli.js'), '--linux', '--dir', '--config', 'electron-builder.yml', `-c.electronDist=${stub}`, `-c.directories.output=${join(work, 'out')}`],
    { cwd: REPO_ROOT, encoding: 'utf8', timeout: 240_000, env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' } },
  );
  if (pack.status !== 0) throw new Error(`electron-builder failed (${pack.status}):\n${pack.stdout.slice(-2000)}\n${pack.stderr.slice(-2000)}`);
  resources = join(work, 'out', 'linux-unpacked', 'resources');
}, 300_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('packed desktop app', () => {
  it('contains the bundles, the shell pages and the renderer, and no node_modules', () => {
    const files = asar.listPackage(join(resources, 'app.asar'), { isPack: false });
    expect(files).toEqual(expect.arrayContaining(['/dist/electron/main.mjs', '/dist/electron/preload.cjs', '/dist/electron/shell/profiles.html', '/dist/electron/shell/tray.png', '/renderer/dist/index.html', '/package.json']));
    expect(files.filter((f) => f.includes('node_modules'))).toEqual([]);
    expect(files.filter((f) => /better[-_]sqlite3|\.node$|\/server\//.test(f))).toEqual([]);
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);
    const pkg = JSON.parse(asar.extractFile(join(resources, 'app.asar'), 'package.json').toString()) as { main: string };
    expect(pkg.main).toBe('dist/electron/main.mjs');
  });

  it('keeps electron external and the preload self-contained for the sandbox', () => {
    const preload = asar.extractFile(join(resources, 'app.asar'), 'dist/electron/preload.cjs').toString();
    const required = [...preload.matchAll(/require\(["']([^"']+)["']\)/g)].map((m) => m[1]);
    expect(new Set(required)).toEqual(new Set(['electron']));
    expect(preload).toContain('exposeInMainWorld');
  });

  it('writes the generic update feed into app-update.yml', () => {
    const feed = readFileSync(join(resources, 'app-update.yml'), 'utf8');
    expect(feed).toContain('provider: generic');
    expect(feed).toMatch(/url: https:\/\/.+\/api\/v1\/updates/);
  });
});
