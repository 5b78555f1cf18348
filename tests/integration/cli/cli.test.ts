/**
 * The `factoryops` command as people run it: `node bin/factoryops.js` (compiled dist/, so
 * run `npx tsc -b` / `npm test` first). Mistakes a person can fix end with one clear stderr
 * line and a non-zero exit; the first start creates everything and shows the password once;
 * `factory create` works while the server runs. Every spawned server is stopped in afterAll.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificateFingerprint } from '../../../server/bootstrap/data-dir.js';
import { createMysqlTarget, mysqlSkipped, type MetaTargetHandle } from '../../helpers/meta-targets.js';
import { apiClient, freePort, type Json } from '../../helpers/test-server.js';

const ROOT = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const BIN = join(ROOT, 'bin', 'factoryops.js');

interface Exited {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

interface Running {
  child: ChildProcess;
  url: string;
  fingerprint256: string;
  output: () => { stdout: string; stderr: string };
  stop(): Promise<Exited>;
}

/** Each test spawns several Node processes; on a busy 2-core CI box that takes a while. */
const SPAWNS = { timeout: 120_000 };

const children = new Set<ChildProcess>();
const tempDirs: string[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fo-cli-'));
  tempDirs.push(dir);
  return dir;
}

/** The test runner's environment without any FACTORYOPS_* setting, plus the given ones. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('FACTORYOPS_') && !k.startsWith('SMTP_')) env[k] = v;
  return { ...env, ...extra };
}

function spawnCli(args: string[], env: Record<string, string> = {}): { child: ChildProcess; stdout: () => string; stderr: () => string; exited: Promise<Exited> } {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<Exited>((done) => {
    child.on('exit', (code, signal) => {
      children.delete(child);
      // Let the pipes drain after exit.
      setImmediate(() => done({ code, signal, stdout, stderr }));
    });
  });
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

/** Runs a command that should finish on its own. */
function runCli(args: string[], env: Record<string, string> = {}): Promise<Exited> {
  return spawnCli(args, env).exited;
}

/** Starts `serve` and waits for its server.started log line. */
async function startServe(args: string[], env: Record<string, string> = {}): Promise<Running> {
  const proc = spawnCli(['serve', '--log-level', 'info', ...args], env);
  const started = await new Promise<{ url: string; fingerprint256: string }>((done, fail) => {
    // Not a timing assertion: a bound so a hung start fails with its output instead of a bare timeout.
    const giveUp = setTimeout(() => {
      clearInterval(timer);
      fail(new Error(`serve did not start within 60 s:\nstderr: ${proc.stderr()}\nstdout: ${proc.stdout()}`));
    }, 60_000);
    const timer = setInterval(() => {
      for (const line of proc.stdout().split('\n')) {
        if (!line.startsWith('{')) continue;
        try {
          const entry = JSON.parse(line) as { event?: string; url?: string; fingerprint256?: string };
          if (entry.event === 'server.started' && entry.url && entry.fingerprint256) {
            clearInterval(timer);
            clearTimeout(giveUp);
            done({ url: entry.url, fingerprint256: entry.fingerprint256 });
            return;
          }
        } catch {
          // a partial line; read it again next tick
        }
      }
    }, 50);
    void proc.exited.then((e) => {
      clearInterval(timer);
      clearTimeout(giveUp);
      fail(new Error(`serve exited (${e.code}) before it started:\n${e.stderr}\n${e.stdout}`));
    });
  });
  return {
    child: proc.child,
    ...started,
    output: () => ({ stdout: proc.stdout(), stderr: proc.stderr() }),
    async stop() {
      proc.child.kill('SIGTERM');
      return proc.exited;
    },
  };
}

function expectOneClearLine(result: Exited, pattern: RegExp) {
  const lines = result.stderr.split('\n').filter((l) => l.trim() !== '');
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^factoryops: /);
  expect(lines[0]).toMatch(pattern);
  expect(lines[0]).not.toMatch(/\bat .*\.js:\d+/);
}

/** JSON over HTTPS to a server with its self-signed certificate. */
function httpsJson(url: string, method: string, body?: unknown): Promise<{ status: number; json: Json; fingerprint256: string }> {
  return new Promise((done, fail) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = httpsRequest(
      url,
      { method, rejectUnauthorized: false, headers: data ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {} },
      (res) => {
        const fingerprint256 = (res.socket as TLSSocket).getPeerCertificate().fingerprint256;
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => done({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : null, fingerprint256 }));
      },
    );
    req.on('error', fail);
    if (data) req.write(data);
    req.end();
  });
}

function generatedPasswords(stdout: string): string[] {
  return [...stdout.matchAll(/password(?: \(shown once\))?:\s+(\S+)/g)].map((m) => m[1] ?? '');
}

beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist', 'server', 'main.js'))) {
    throw new Error('dist/ is missing: run "npx tsc -b" (npm test does) before the CLI tests');
  }
});

afterAll(async () => {
  await Promise.all(
    [...children].map(
      (child) =>
        new Promise<void>((done) => {
          child.once('exit', () => done());
          child.kill('SIGKILL');
        }),
    ),
  );
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

describe('factoryops: mistakes give one clear line and a non-zero exit', SPAWNS, () => {
  it('an unknown flag exits 2', async () => {
    const result = await runCli(['serve', '--bogus-flag']);
    expect(result.code).toBe(2);
    expectOneClearLine(result, /bogus-flag/);
  });

  it('an unknown command exits 2', async () => {
    const result = await runCli(['launch']);
    expect(result.code).toBe(2);
    expectOneClearLine(result, /unknown command "launch"/);
  });

  it('a bad port or option value exits 2', async () => {
    for (const args of [
      ['--http-port', '99999'],
      ['--http-port', 'abc'],
      ['--mqtt-port', '0'],
      ['--log-level', 'chatty'],
      ['--metadata', 'postgres://db/factoryops'],
    ]) {
      const result = await runCli(['serve', '--data-dir', join(tempDir(), 'data'), ...args]);
      expect(result.code, args.join(' ')).toBe(2);
      expectOneClearLine(result, new RegExp(args[0] ?? ''));
    }
  });

  it('a port already taken exits non-zero and says so', async () => {
    const port = await freePort();
    const blocker: Server = createServer();
    await new Promise<void>((done) => blocker.listen({ host: '127.0.0.1', port }, done));
    try {
      const result = await runCli(['serve', '--data-dir', join(tempDir(), 'data'), '--host', '127.0.0.1', '--http-port', String(port), '--mqtt-port', String(await freePort())]);
      expect(result.code).not.toBe(0);
      expect(result.code).not.toBeNull();
      expectOneClearLine(result, new RegExp(`port ${port}.*already in use`));
    } finally {
      await new Promise<void>((done) => blocker.close(() => done()));
    }
  });

  it('an MQTT port already taken exits non-zero and says so (the process does not hang)', async () => {
    const port = await freePort();
    const blocker: Server = createServer();
    await new Promise<void>((done) => blocker.listen({ host: '127.0.0.1', port }, done));
    try {
      const result = await runCli(['serve', '--data-dir', join(tempDir(), 'data'), '--host', '127.0.0.1', '--http-port', String(await freePort()), '--mqtt-port', String(port)]);
      expect(result.code).toBe(1);
      expectOneClearLine(result, new RegExp(`MQTT port ${port}.*already in use`));
    } finally {
      await new Promise<void>((done) => blocker.close(() => done()));
    }
  });

  // The second host needs a DNS answer ("no such name"), which an offline resolver may be slow to give.
  it.each([['192.0.2.1'], ['no-such-host.invalid']])('a host that is not an address of this machine (%s) exits non-zero and says so', SPAWNS, async (host) => {
    const result = await runCli(['serve', '--data-dir', join(tempDir(), 'data'), '--host', host, '--http-port', String(await freePort()), '--mqtt-port', String(await freePort())]);
    expect(result.code, host).toBe(1);
    expectOneClearLine(result, new RegExp(`address ${host.replace(/\./g, '\\.')} is not an address of this machine`));
  });

  it('a data directory that cannot be created exits non-zero and says so', async () => {
    const file = join(tempDir(), 'a-file');
    writeFileSync(file, 'not a directory');
    const under = await runCli(['serve', '--data-dir', join(file, 'data'), '--http-port', String(await freePort())]);
    expect(under.code).toBe(1);
    expectOneClearLine(under, /cannot create data directory/);
    const itself = await runCli(['serve', '--data-dir', file, '--http-port', String(await freePort())]);
    expect(itself.code).toBe(1);
    expectOneClearLine(itself, /is not a directory/);
  });

  it('an unreachable MariaDB exits non-zero without showing the password', async () => {
    const port = await freePort();
    const result = await runCli([
      'serve',
      '--data-dir',
      join(tempDir(), 'data'),
      '--host',
      '127.0.0.1',
      '--http-port',
      String(await freePort()),
      '--mqtt-port',
      String(await freePort()),
      '--metadata',
      `mysql://factoryops:s3cret-pw@127.0.0.1:${port}/factoryops`,
    ]);
    expect(result.code).toBe(1);
    expectOneClearLine(result, /cannot open the metadata database/);
    expect(result.stderr + result.stdout).not.toContain('s3cret-pw');
  });

  it('factory create without its required flags exits 2', async () => {
    const result = await runCli(['factory', 'create', '--data-dir', join(tempDir(), 'data'), '--slug', 'x']);
    expect(result.code).toBe(2);
    expectOneClearLine(result, /missing --name, --admin-email/);
  });

  it('prints the version and the help', async () => {
    const version = await runCli(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    for (const flag of ['--data-dir', '--host', '--http-port', '--mqtt-port', '--no-tls', '--metadata', 'FACTORYOPS_HTTP_PORT']) expect(help.stdout).toContain(flag);
  });
});

describe('factoryops serve: first start, restart, and factory create while running', SPAWNS, () => {
  let dataDir: string;
  let httpPort: number;
  let mqttPort: number;
  let generated: string;

  beforeAll(async () => {
    dataDir = join(tempDir(), 'data');
    httpPort = await freePort();
    mqttPort = await freePort();
  });

  const serveArgs = () => ['--data-dir', dataDir, '--host', '127.0.0.1', '--http-port', String(httpPort), '--mqtt-port', String(mqttPort)];

  it('creates the data directory, a 0600 JWT secret, a certificate whose fingerprint it logs, and shows the password once', async () => {
    const server = await startServe(serveArgs());
    try {
      expect(server.url).toBe(`https://127.0.0.1:${httpPort}`);
      const passwords = generatedPasswords(server.output().stdout);
      expect(passwords).toHaveLength(1);
      generated = passwords[0] ?? '';
      expect(generated.length).toBeGreaterThanOrEqual(16);

      const secret = join(dataDir, 'jwt-secret');
      expect(statSync(secret).mode & 0o777).toBe(0o600);
      expect(readFileSync(secret, 'utf8').trim()).toMatch(/^[0-9a-f]{128}$/);
      expect(existsSync(join(dataDir, 'factoryops.db'))).toBe(true);
      expect(statSync(join(dataDir, 'tls', 'site-key.pem')).mode & 0o077).toBe(0);

      const certFingerprint = certificateFingerprint(readFileSync(join(dataDir, 'tls', 'site-cert.pem'), 'utf8'));
      expect(server.fingerprint256).toBe(certFingerprint);

      const health = await httpsJson(`${server.url}/health`, 'GET');
      expect(health.status).toBe(200);
      expect(health.fingerprint256).toBe(certFingerprint);

      const login = await httpsJson(`${server.url}/api/v1/auth/login`, 'POST', { factory_slug: 'default', email: 'admin@factoryops.local', password: generated });
      expect(login.status).toBe(200);
      expect(login.json.user.role).toBe('super_admin');

      // Nothing secret in the logs: the password appears in the one-time banner only.
      const logLines = server.output().stdout.split('\n').filter((l) => l.startsWith('{'));
      expect(logLines.join('\n')).not.toContain(generated);
      expect(server.output().stderr).toBe('');
    } finally {
      // SIGTERM: a clean stop, every part closed, exit code 0.
      const exited = await server.stop();
      expect(exited.code).toBe(0);
      expect(exited.stdout).toContain('"event":"server.stopped"');
    }
  });

  it('does not show a password again on the next start, and keeps the certificate and secret', async () => {
    const secretBefore = readFileSync(join(dataDir, 'jwt-secret'), 'utf8');
    const fingerprintBefore = certificateFingerprint(readFileSync(join(dataDir, 'tls', 'site-cert.pem'), 'utf8'));
    const server = await startServe(serveArgs());
    try {
      expect(generatedPasswords(server.output().stdout)).toEqual([]);
      expect(server.output().stdout).not.toContain(generated);
      expect(server.fingerprint256).toBe(fingerprintBefore);
      expect(readFileSync(join(dataDir, 'jwt-secret'), 'utf8')).toBe(secretBefore);
      const login = await httpsJson(`${server.url}/api/v1/auth/login`, 'POST', { factory_slug: 'default', email: 'admin@factoryops.local', password: generated });
      expect(login.status).toBe(200);
    } finally {
      await server.stop();
    }
  });

  it('adds a factory while the server runs; its admin signs in over HTTP at once', async () => {
    const server = await startServe(serveArgs());
    try {
      const created = await runCli([
        'factory',
        'create',
        '--data-dir',
        dataDir,
        '--slug',
        'plant-2',
        '--name',
        'Plant 2',
        '--admin-email',
        'boss@plant2.example',
        '--admin-password',
        'plant-two-passphrase',
      ]);
      expect(created.code, created.stderr).toBe(0);
      expect(created.stdout).toMatch(/created factory "plant-2"/);
      expect(created.stderr).toBe('');
      expect(created.stdout).not.toContain('plant-two-passphrase');

      const factories = await httpsJson(`${server.url}/api/v1/auth/factories`, 'GET');
      expect(factories.json.data.map((f: { slug: string }) => f.slug)).toContain('plant-2');
      const login = await httpsJson(`${server.url}/api/v1/auth/login`, 'POST', { factory_slug: 'plant-2', email: 'boss@plant2.example', password: 'plant-two-passphrase' });
      expect(login.status).toBe(200);
      expect(login.json.factory).toMatchObject({ slug: 'plant-2', name: 'Plant 2' });
      expect(login.json.user.role).toBe('super_admin');

      // Without --admin-password one is generated and printed once.
      const generatedRun = await runCli(['factory', 'create', '--data-dir', dataDir, '--slug', 'plant-3', '--name', 'Plant 3', '--admin-email', 'boss@plant3.example']);
      expect(generatedRun.code, generatedRun.stderr).toBe(0);
      const [password3] = generatedPasswords(generatedRun.stdout);
      expect(password3).toBeTruthy();
      const login3 = await httpsJson(`${server.url}/api/v1/auth/login`, 'POST', { factory_slug: 'plant-3', email: 'boss@plant3.example', password: password3 });
      expect(login3.status).toBe(200);

      const duplicate = await runCli(['factory', 'create', '--data-dir', dataDir, '--slug', 'plant-2', '--name', 'Again', '--admin-email', 'x@plant2.example', '--admin-password', 'another-passphrase']);
      expect(duplicate.code).toBe(1);
      expectOneClearLine(duplicate, /slug "plant-2" already exists/);

      const badSlug = await runCli(['factory', 'create', '--data-dir', dataDir, '--slug', 'Plant Two', '--name', 'x', '--admin-email', 'x@y.example', '--admin-password', 'another-passphrase']);
      expect(badSlug.code).toBe(2);
      expectOneClearLine(badSlug, /slug "Plant Two" is not valid/);

      const shortPassword = await runCli(['factory', 'create', '--data-dir', dataDir, '--slug', 'plant-4', '--name', 'x', '--admin-email', 'x@y.example', '--admin-password', 'short']);
      expect(shortPassword.code).toBe(2);
      expectOneClearLine(shortPassword, /password/);

      // The server is still fine.
      expect((await httpsJson(`${server.url}/health`, 'GET')).status).toBe(200);
    } finally {
      await server.stop();
    }
  });
});

describe('factoryops serve: configuration from environment variables', SPAWNS, () => {
  it('takes every serve option from FACTORYOPS_* variables, and a flag wins over its variable', async () => {
    const dataDir = join(tempDir(), 'env-data');
    const httpPort = await freePort();
    const env = {
      FACTORYOPS_DATA_DIR: dataDir,
      FACTORYOPS_HOST: '127.0.0.1',
      FACTORYOPS_HTTP_PORT: String(httpPort),
      FACTORYOPS_MQTT_PORT: String(await freePort()),
      FACTORYOPS_NO_TLS: '1',
      FACTORYOPS_ADMIN_PASSWORD: 'password-from-env',
      FACTORYOPS_LOG_LEVEL: 'info',
    };
    const server = await startServe([], env);
    try {
      expect(server.url).toBe(`http://127.0.0.1:${httpPort}`);
      expect(existsSync(join(dataDir, 'jwt-secret'))).toBe(true);
      // A password from the environment is not printed.
      expect(generatedPasswords(server.output().stdout)).toEqual([]);
      expect(server.output().stdout).not.toContain('password-from-env');
      const api = apiClient(server.url);
      const login = await api('POST', '/api/v1/auth/login', { body: { factory_slug: 'default', email: 'admin@factoryops.local', password: 'password-from-env' } });
      expect(login.status).toBe(200);
    } finally {
      await server.stop();
    }

    const flagPort = await freePort();
    const flagged = await startServe(['--http-port', String(flagPort)], env);
    try {
      expect(flagged.url).toBe(`http://127.0.0.1:${flagPort}`);
    } finally {
      await flagged.stop();
    }
  });
});

describe.skipIf(mysqlSkipped())('factoryops with --metadata mysql://', SPAWNS, () => {
  let handle: MetaTargetHandle;
  beforeAll(async () => {
    handle = await createMysqlTarget();
  });
  afterAll(async () => {
    await handle?.cleanup();
  });

  it('serves from MariaDB and creates factories there', async () => {
    const dataDir = join(tempDir(), 'mysql-data');
    const server = await startServe(
      ['--data-dir', dataDir, '--host', '127.0.0.1', '--http-port', String(await freePort()), '--mqtt-port', String(await freePort()), '--no-tls', '--metadata', handle.metadataArg],
      { FACTORYOPS_ADMIN_PASSWORD: 'mariadb-admin-pass' },
    );
    try {
      expect(existsSync(join(dataDir, 'factoryops.db'))).toBe(false);
      const created = await runCli(['factory', 'create', '--data-dir', dataDir, '--metadata', handle.metadataArg, '--slug', 'maria-2', '--name', 'Maria 2', '--admin-email', 'boss@maria2.example', '--admin-password', 'maria-two-passphrase']);
      expect(created.code, created.stderr).toBe(0);
      const api = apiClient(server.url);
      expect((await api('POST', '/api/v1/auth/login', { body: { factory_slug: 'default', email: 'admin@factoryops.local', password: 'mariadb-admin-pass' } })).status).toBe(200);
      expect((await api('POST', '/api/v1/auth/login', { body: { factory_slug: 'maria-2', email: 'boss@maria2.example', password: 'maria-two-passphrase' } })).status).toBe(200);
      const health = await api('GET', '/health');
      expect(health.json.dependencies.metadata).toBe('ok');
    } finally {
      expect((await server.stop()).code).toBe(0);
    }
  });
});
