/**
 * A real FactoryOps server for integration tests: started in-process with `startServer()` on
 * 127.0.0.1, plain HTTP (TLS has its own test), a fresh temp data directory, silent logs, a
 * clock the test can move, and a known super admin password. Talk to it with `api()` (real
 * HTTP through fetch), sign in with `login()`, add a second tenant with `createFactory()`.
 *
 *   const server = await startTestServer();
 *   const admin = await server.login();                       // the first factory's super admin
 *   const other = await server.createFactory('plant-2');      // another factory + its super admin
 *   const res = await server.api('GET', '/api/v1/devices', { token: admin.accessToken });
 *   ...
 *   await server.close();                                     // server, data dir, database
 *
 * Reused by later suites (ingest, alarms): pass `config` overrides or `metadata` (a
 * `mysql://…` URL from tests/helpers/meta-targets.ts) to run against MariaDB, or use
 * `startTestServerOn(dialect)` with META_DIALECTS. The embedded broker listens on a free port
 * (`server.running.mqttPort`); `server.running.meta` / `.series` are the live stores.
 * The login throttle counts failures per address and everything here comes from 127.0.0.1:
 * more than 30 failed sign-ins within 15 (clock) minutes lock every login of that server.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { startServer, type RunningServer, type StartOptions } from '../../server/app.js';
import { hashPassword } from '../../server/auth/passwords.js';
import { createFactoryWithAdmin } from '../../server/bootstrap/first-factory.js';
import { resolveServeConfig, type ServerConfig } from '../../server/config.js';
import type { MetaDialectCase } from './meta-targets.js';

export const ADMIN_EMAIL = 'admin@factoryops.local';
export const ADMIN_PASSWORD = 'first-admin-passphrase';
export const FIRST_FACTORY_SLUG = 'default';

/** A clock the test moves by hand; starts at the real time so certificates and tokens look normal. */
export class TestClock {
  constructor(public nowMs = Date.now()) {}
  readonly now = (): number => this.nowMs;
  advance(ms: number): void {
    this.nowMs += ms;
  }
}

/** A port nobody listens on right now (bound to 0 and released). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.once('error', reject);
    probe.listen({ host, port: 0 }, () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/**
 * A parsed JSON body as tests read it: any property path, asserted with expect(). The one
 * place the lint rule against `any` is waived.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export interface ApiResponse<T = Json> {
  status: number;
  headers: Headers;
  /** Parsed JSON, or null when the body is empty or not JSON. */
  json: T;
  text: string;
}

export interface ApiOptions {
  token?: string;
  /** Serialised as JSON unless it is already a string or a Buffer (sent as is). */
  body?: unknown;
  headers?: Record<string, string>;
}

export type ApiClient = <T = Json>(method: string, path: string, options?: ApiOptions) => Promise<ApiResponse<T>>;

/** A fetch-based client for a base URL: JSON in, status/headers/json out, never throws on 4xx/5xx. */
export function apiClient(baseUrl: string): ApiClient {
  return async (method, path, options = {}) => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
    let body: string | Uint8Array | undefined;
    if (options.body !== undefined) {
      if (typeof options.body === 'string') {
        body = options.body;
      } else if (Buffer.isBuffer(options.body)) {
        body = new Uint8Array(options.body);
      } else {
        body = JSON.stringify(options.body);
      }
      if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
    }
    const response = await fetch(`${baseUrl}${path}`, { method, headers, ...(body !== undefined ? { body: body as BodyInit } : {}) });
    const text = await response.text();
    let json: unknown = null;
    if (text.length > 0) {
      try {
        json = JSON.parse(text);
      } catch {
        json = null;
      }
    }
    return { status: response.status, headers: response.headers, json: json as never, text };
  };
}

export interface Session {
  accessToken: string;
  refreshToken: string;
  userId: number;
  factoryId: number;
  factorySlug: string;
  email: string;
}

export interface CreatedTestFactory {
  id: number;
  slug: string;
  adminId: number;
  adminEmail: string;
  adminPassword: string;
}

export interface TestServerOptions {
  /** `--metadata` value: "sqlite" (default, in the temp data dir) or a mysql:// URL. */
  metadata?: string;
  /** Replaces fields of the generated config (the data dir and port are chosen here unless given). */
  config?: Partial<ServerConfig>;
  clock?: TestClock;
  /** Extra FACTORYOPS_* variables for the first start. */
  env?: NodeJS.ProcessEnv;
  /** Keep the data directory after close (for restarts on the same data). */
  dataDir?: string;
  announce?: (text: string) => void;
}

export interface TestServer {
  running: RunningServer;
  url: string;
  dataDir: string;
  clock: TestClock;
  api: ApiClient;
  /** The first factory created on first start (slug "default"). */
  factory: { id: number; slug: string; adminId: number; adminEmail: string; adminPassword: string };
  login(credentials?: { factorySlug?: string; email?: string; password?: string }): Promise<Session>;
  /** A factory with its own super admin, created directly in the metadata store (as the CLI does). */
  createFactory(slug: string, options?: { adminEmail?: string; adminPassword?: string; name?: string }): Promise<CreatedTestFactory>;
  /** A user with a password in a factory, created directly in the store (no invite round trip). */
  createUser(factoryId: number, email: string, role: 'admin' | 'operator' | 'viewer', password?: string): Promise<{ id: number; email: string; password: string }>;
  close(): Promise<void>;
}

const silentLogger = () => pino({ level: 'silent' });

/**
 * The config `factoryops serve` would build for a temp data dir (so options added later get
 * their defaults), on 127.0.0.1, plain HTTP, silent, and an OS-chosen HTTP port.
 */
export function testConfig(dataDir: string, overrides: Partial<ServerConfig> = {}): ServerConfig {
  const base = resolveServeConfig(['--data-dir', dataDir, '--host', '127.0.0.1', '--no-tls', '--log-level', 'silent'], {});
  return {
    ...base,
    // 0 = an ephemeral port chosen by the OS at listen time (startServer reports the real one).
    httpPort: 0,
    mqttPort: 0,
    ...overrides,
  };
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const ownsDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'fo-test-'));
  const clock = options.clock ?? new TestClock();
  const config = testConfig(dataDir, { ...(options.metadata ? { metadata: options.metadata } : {}), ...options.config });
  if (config.mqttPort === 0) config.mqttPort = await freePort();
  const startOptions: StartOptions = {
    logger: silentLogger(),
    clock: clock.now,
    env: { FACTORYOPS_ADMIN_PASSWORD: ADMIN_PASSWORD, ...options.env },
    announce: options.announce ?? (() => {}),
  };
  let running: RunningServer;
  try {
    running = await startServer(config, startOptions);
  } catch (error) {
    if (ownsDataDir) rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  const api = apiClient(running.url);
  const firstSlug = options.env?.FACTORYOPS_FACTORY_SLUG || FIRST_FACTORY_SLUG;
  const firstEmail = options.env?.FACTORYOPS_ADMIN_EMAIL || ADMIN_EMAIL;
  const firstFactory = await running.meta.factories.getBySlug(firstSlug);
  const firstAdmin = firstFactory ? await running.meta.users.findByEmail(firstFactory.id, firstEmail) : undefined;
  if (!firstFactory || !firstAdmin) throw new Error(`test server: first factory "${firstSlug}" or its admin is missing`);

  const login: TestServer['login'] = async (credentials = {}) => {
    const factorySlug = credentials.factorySlug ?? firstSlug;
    const email = credentials.email ?? firstEmail;
    const res = await api('POST', '/api/v1/auth/login', {
      body: { factory_slug: factorySlug, email, password: credentials.password ?? options.env?.FACTORYOPS_ADMIN_PASSWORD ?? ADMIN_PASSWORD },
    });
    if (res.status !== 200) throw new Error(`login ${email}@${factorySlug} failed: ${res.status} ${res.text}`);
    return {
      accessToken: res.json.access_token,
      refreshToken: res.json.refresh_token,
      userId: res.json.user.id,
      factoryId: res.json.factory.id,
      factorySlug,
      email,
    };
  };

  let closed = false;
  return {
    running,
    url: running.url,
    dataDir,
    clock,
    api,
    factory: { id: firstFactory.id, slug: firstSlug, adminId: firstAdmin.id, adminEmail: firstEmail, adminPassword: options.env?.FACTORYOPS_ADMIN_PASSWORD ?? ADMIN_PASSWORD },
    login,
    async createFactory(slug, factoryOptions = {}) {
      const adminEmail = factoryOptions.adminEmail ?? `admin@${slug}.example`;
      const adminPassword = factoryOptions.adminPassword ?? `pw-${randomBytes(8).toString('hex')}`;
      const created = await createFactoryWithAdmin(
        running.meta,
        { slug, name: factoryOptions.name ?? `Factory ${slug}`, adminEmail, adminPassword },
        'test',
        clock.now(),
      );
      return { id: created.factory.id, slug, adminId: created.admin.id, adminEmail, adminPassword };
    },
    async createUser(factoryId, email, role, password = `pw-${randomBytes(8).toString('hex')}`) {
      const user = await running.meta.users.create(
        factoryId,
        {
          email,
          role,
          permissions: { can_create_rules: false, can_run_analytics: false, can_generate_reports: false },
          hashedPassword: await hashPassword(password),
        },
        clock.now(),
      );
      return { id: user.id, email: user.email, password };
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        await running.close();
      } finally {
        if (ownsDataDir) rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
}

/** Asserts the API error shape and returns the code (for expect(...).toBe). */
export function errorCode(res: ApiResponse): string | undefined {
  const body = res.json as { error?: { code?: unknown; message?: unknown } } | null;
  if (!body || typeof body.error !== 'object' || body.error === null) return undefined;
  if (typeof body.error.code !== 'string' || typeof body.error.message !== 'string') return undefined;
  return body.error.code;
}

/**
 * A test server whose metadata lives in a fresh database of the given dialect (from
 * META_DIALECTS in meta-targets.ts); close() also drops that database.
 *
 *   describe.each(META_DIALECTS)('devices on $name', (dialect) => {
 *     let server: TestServer;
 *     beforeAll(async () => { server = await startTestServerOn(dialect); });
 *     afterAll(() => server?.close());
 *   });
 */
export async function startTestServerOn(dialect: MetaDialectCase, options: TestServerOptions = {}): Promise<TestServer & { dialect: string; metadataFile: string | null }> {
  const handle = await dialect.create();
  let server: TestServer;
  try {
    server = await startTestServer({ ...options, metadata: handle.metadataArg });
  } catch (error) {
    await handle.cleanup();
    throw error;
  }
  const close = server.close;
  return Object.assign(server, {
    dialect: dialect.name,
    metadataFile: handle.target.kind === 'sqlite' ? handle.target.file : null,
    async close() {
      try {
        await close();
      } finally {
        await handle.cleanup();
      }
    },
  });
}
