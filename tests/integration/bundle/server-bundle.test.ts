/**
 * The server bundle on a "bare host": the tarball from `npm run build:server` is unpacked into
 * a temporary folder and started there with its own Node (not the Node running this test), on
 * loopback ephemeral ports without TLS; /health must answer and SIGTERM must stop it cleanly.
 *
 * The build is heavy (npm ci of production dependencies, better-sqlite3 compiled for the
 * bundled Node), so build/build-server-bundle.mjs caches it: the bundle is reused while its
 * inputs are unchanged, and the compiled node_modules are kept in ~/.cache/factoryops-bundle.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, ensureUiBuilt } from '../../e2e/support/ui-build.js';
import { freePort } from '../../helpers/test-server.js';

const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
const NAME = `factoryops-server-${pkg.version}-linux-x64`;
const TARBALL = join(REPO_ROOT, 'dist', 'server-bundle', `${NAME}.tar.gz`);

let host: string;
let child: ChildProcess | undefined;
let output = '';

function waitForExit(proc: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => (proc.exitCode !== null ? resolve(proc.exitCode) : proc.once('exit', (code) => resolve(code))));
}

beforeAll(async () => {
  await ensureUiBuilt();
  const build = spawnSync(process.execPath, [join(REPO_ROOT, 'build', 'build-server-bundle.mjs')], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 900_000 });
  if (build.status !== 0) throw new Error(`build:server failed (${build.status}):\n${build.stdout.slice(-3000)}\n${build.stderr.slice(-3000)}`);
  host = mkdtempSync(join(tmpdir(), 'fo-bare-host-'));
  const unpack = spawnSync('tar', ['xzf', TARBALL, '-C', host], { encoding: 'utf8' });
  if (unpack.status !== 0) throw new Error(`tar failed: ${unpack.stderr}`);
}, 900_000);

afterAll(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGKILL');
    await waitForExit(child);
  }
  if (host) rmSync(host, { recursive: true, force: true });
});

describe('self-contained server bundle', () => {
  it('carries its own Node LTS, the service unit, the UI and instructions', () => {
    const root = join(host, NAME);
    const version = spawnSync(join(root, 'runtime', 'bin', 'node'), ['--version'], { encoding: 'utf8' }).stdout.trim();
    expect(version).toMatch(/^v(22|24)\./);
    expect(version).not.toBe(process.version);
    expect(statSync(join(root, 'bin', 'factoryops')).mode & 0o111).not.toBe(0);
    expect(readFileSync(join(root, 'systemd', 'factoryops.service'), 'utf8')).toContain('ExecStart=/opt/factoryops/bin/factoryops serve');
    expect(existsSync(join(root, 'app', 'renderer', 'dist', 'index.html'))).toBe(true);
    expect(existsSync(join(root, 'app', 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node'))).toBe(true);
    // Production dependencies only: no build or desktop tooling.
    for (const dev of ['typescript', 'vitest', 'electron', 'electron-builder', 'playwright-core']) expect(existsSync(join(root, 'app', 'node_modules', dev))).toBe(false);
    expect(readFileSync(join(root, 'README.md'), 'utf8')).toContain('systemctl enable --now factoryops');
  });

  it('starts from the unpacked folder with its own node, answers /health, and stops on SIGTERM', async () => {
    const root = join(host, NAME);
    const [httpPort, mqttPort] = [await freePort(), await freePort()];
    // A minimal PATH: the bundle must not need the system's node.
    child = spawn(join(root, 'bin', 'factoryops'), ['serve', '--data-dir', join(host, 'data'), '--host', '127.0.0.1', '--http-port', String(httpPort), '--mqtt-port', String(mqttPort), '--no-tls', '--log-level', 'warn'], {
      cwd: host,
      env: { PATH: '/usr/bin:/bin', HOME: host, FACTORYOPS_ADMIN_PASSWORD: 'bundle-admin-passphrase' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    let health: { status: number; body: { status?: string } } | undefined;
    await expect
      .poll(
        async () => {
          if (child?.exitCode !== null) throw new Error(`server exited (${String(child?.exitCode)}):\n${output}`);
          try {
            const res = await fetch(`http://127.0.0.1:${httpPort}/health`);
            health = { status: res.status, body: (await res.json()) as { status?: string } };
            return res.status;
          } catch {
            return 0;
          }
        },
        { timeout: 60_000, interval: 250 },
      )
      .toBe(200);
    expect(health?.body.status).toBe('healthy');
    const ui = await fetch(`http://127.0.0.1:${httpPort}/`);
    expect(ui.status).toBe(200);
    expect(await ui.text()).toContain('<div id="root">');
    expect(existsSync(join(host, 'data'))).toBe(true);

    child.kill('SIGTERM');
    expect(await waitForExit(child)).toBe(0);
  }, 90_000);
});
