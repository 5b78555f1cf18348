/**
 * Real parts for the notification tests: a SQLite metadata file with a seeded factory, an
 * in-process SMTP server (smtp-server) that keeps every message it accepts, a local HTTP
 * stand-in for Twilio's Messages API, a webhook receiver, and a logger whose lines the test
 * can read.
 */
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { SMTPServer } from 'smtp-server';
import { ALL_PERMISSIONS, NO_PERMISSIONS } from '../../../engine/contract/roles.js';
import type { NotificationPlanner } from '../../../server/alarms/ports.js';
import type { Logger } from '../../../server/observe/logger.js';
import { openMetaStore, type MetaStore } from '../../../server/store/meta/meta-store.js';
import type { Device, Factory, User } from '../../../server/store/meta/models.js';
import type { Alert } from '../../../server/store/meta/repositories/alerts.js';
import type { Rule, RuleInput } from '../../../server/store/meta/repositories/rules.js';

/** 2026-02-19T10:35:00Z, the seed's example raise. */
export const T0 = Date.UTC(2026, 1, 19, 10, 35, 0);

// ---------------------------------------------------------------------------------------------
// Metadata store

export interface StoreHandle {
  file: string;
  meta: MetaStore;
  /** Closes this store and opens the same file again (a process restart, as far as data goes). */
  reopen(): Promise<MetaStore>;
  cleanup(): Promise<void>;
}

export async function openTempStore(): Promise<StoreHandle> {
  const dir = await mkdtemp(join(tmpdir(), 'factoryops-notify-'));
  const file = join(dir, 'meta.db');
  const handle: StoreHandle = {
    file,
    meta: await openMetaStore({ kind: 'sqlite', file }),
    async reopen() {
      await handle.meta.close();
      handle.meta = await openMetaStore({ kind: 'sqlite', file });
      return handle.meta;
    },
    async cleanup() {
      await handle.meta.close().catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
  return handle;
}

export interface Plant {
  factory: Factory;
  other: Factory;
  device: Device;
  admin: User;
  operator: User;
  inactive: User;
  whatsappOnly: User;
  outsider: User;
}

let plantSeq = 0;

/**
 * Factory "Plant A" (Asia/Kolkata) with: admin (e-mail, WhatsApp, phone), operator (e-mail
 * only), a deactivated user, a user whose preference is WhatsApp only; a second factory with
 * one user; device M01 "Compressor 1" with a voltage parameter in V.
 */
export async function seedPlant(meta: MetaStore): Promise<Plant> {
  plantSeq += 1;
  const n = plantSeq;
  const factory = await meta.factories.create({ slug: `plant-a-${n}`, name: 'Plant A', timezone: 'Asia/Kolkata' }, T0);
  const other = await meta.factories.create({ slug: `plant-b-${n}`, name: 'Plant B' }, T0);
  const user = (f: Factory, email: string, extra: { whatsappNumber?: string; phoneNumber?: string; isActive?: boolean } = {}) =>
    meta.users.create(f.id, { email, role: 'operator', permissions: NO_PERMISSIONS, ...extra }, T0);
  const admin = await meta.users.create(
    factory.id,
    { email: `admin${n}@plant-a.example`, role: 'admin', permissions: ALL_PERMISSIONS, whatsappNumber: '+919876543210', phoneNumber: '+919876500001' },
    T0,
  );
  const operator = await user(factory, `operator${n}@plant-a.example`);
  const inactive = await user(factory, `gone${n}@plant-a.example`, { whatsappNumber: '+919800000009', isActive: false });
  const whatsappOnly = await user(factory, `night${n}@plant-a.example`, { whatsappNumber: '+14155550123' });
  await meta.users.setNotifyChannels(factory.id, whatsappOnly.id, ['whatsapp'], T0);
  const outsider = await user(other, `other${n}@plant-b.example`, { whatsappNumber: '+4915112345678' });
  const device = await meta.devices.create(factory.id, { deviceKey: 'M01', name: 'Compressor 1' }, T0);
  await meta.parameters.discover(factory.id, device.id, [{ key: 'voltage', dataType: 'float' }, { key: 'current', dataType: 'float' }], T0);
  const voltage = (await meta.parameters.listForDevice(factory.id, device.id)).find((p) => p.parameterKey === 'voltage');
  if (voltage) await meta.parameters.update(factory.id, device.id, voltage.id, { unit: 'V' }, T0);
  return { factory, other, device, admin, operator, inactive, whatsappOnly, outsider };
}

export function ruleInput(deviceId: number, patch: Partial<RuleInput> = {}): RuleInput {
  return {
    name: 'High Voltage Alert',
    description: null,
    scope: 'device',
    conditions: { operator: 'AND', conditions: [{ parameter: 'voltage', operator: 'gt', value: 240 }] },
    cooldownMinutes: 15,
    isActive: true,
    scheduleType: 'always',
    scheduleConfig: null,
    severity: 'critical',
    notificationChannels: { email: true, whatsapp: false },
    onDelaySeconds: 0,
    deadband: 0,
    escalationMinutes: null,
    recipients: null,
    deviceIds: [deviceId],
    ...patch,
  };
}

/**
 * What the alarm service does on a raise: one transaction with the alarm row, the journal
 * entry and the planner's outbox rows.
 */
export async function raise(meta: MetaStore, planner: NotificationPlanner, rule: Rule, deviceId: number, at: number): Promise<Alert> {
  return meta.transaction(async (repos) => {
    const alert = await repos.alerts.create(
      rule.factoryId,
      {
        ruleId: rule.id,
        deviceId,
        state: 'active_unacknowledged',
        triggeredAt: at,
        severity: rule.severity,
        message: `[${rule.name}] voltage (245.2) gt 240`,
        telemetrySnapshot: { voltage: 245.2, current: 3.5 },
      },
      at,
    );
    const seq = await repos.alerts.nextSeq(rule.factoryId);
    await repos.alerts.addJournal(rule.factoryId, seq, {
      alertId: alert.id,
      fromState: null,
      toState: 'active_unacknowledged',
      action: 'raise',
      userId: null,
      actor: 'system',
      comment: null,
      createdAt: at,
    });
    const raised = (await repos.alerts.update(rule.factoryId, alert.id, { lastSeq: seq })) ?? alert;
    await repos.outbox.enqueue(rule.factoryId, await planner.plan(repos, raised, rule, 'raise', at), at);
    return raised;
  });
}

// ---------------------------------------------------------------------------------------------
// Logger

export interface CapturedLog {
  logger: Logger;
  lines: Array<Record<string, unknown>>;
  events(name: string): Array<Record<string, unknown>>;
}

export function captureLogger(): CapturedLog {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  const logger = pino({ level: 'debug' }, sink);
  return { logger, lines, events: (name) => lines.filter((l) => l.event === name) };
}

// ---------------------------------------------------------------------------------------------
// SMTP

export interface ReceivedMail {
  mailFrom: string;
  rcptTo: string[];
  headers: Map<string, string>;
  subject: string;
  text: string;
  raw: string;
}

/** RFC 2047 encoded-words (=?UTF-8?Q?…?= / ?B?) in a header. */
function decodeWords(value: string): string {
  return value.replace(/=\?([^?]+)\?([QqBb])\?([^?]*)\?=\s*(?==\?)?/g, (_m, _charset: string, enc: string, text: string) => {
    if (enc.toUpperCase() === 'B') return Buffer.from(text, 'base64').toString('utf8');
    const bytes = text.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (_h, hex: string) => String.fromCharCode(parseInt(hex, 16)));
    return Buffer.from(bytes, 'latin1').toString('utf8');
  });
}

function decodeQuotedPrintable(body: string): string {
  const bytes = body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_h, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  return Buffer.from(bytes, 'latin1').toString('utf8');
}

/** Just enough MIME for single-part text mail: unfolded headers, decoded subject and body. */
export function parseMail(raw: string, mailFrom: string, rcptTo: string[]): ReceivedMail {
  const split = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ');
  const body = raw.slice(split + 4);
  const headers = new Map<string, string>();
  for (const line of head.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  const encoding = (headers.get('content-transfer-encoding') ?? '7bit').toLowerCase();
  const text =
    encoding === 'quoted-printable' ? decodeQuotedPrintable(body) : encoding === 'base64' ? Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8') : body;
  return { mailFrom, rcptTo, headers, subject: decodeWords(headers.get('subject') ?? ''), text: text.replace(/\r\n/g, '\n').replace(/\n+$/, ''), raw };
}

export interface SmtpHandle {
  port: number;
  mails: ReceivedMail[];
  /** Whether each accepted mail came over TLS. */
  secured: boolean[];
  /** Logins the server saw (user names). */
  logins: string[];
  close(): Promise<void>;
}

export interface SmtpOptions {
  port?: number;
  /** Addresses refused at RCPT TO with 550. */
  reject?: readonly string[];
  /** Required login, if any. */
  auth?: { user: string; pass: string };
  /** Offer STARTTLS with smtp-server's bundled (self-signed, expired) certificate. */
  starttls?: boolean;
}

export async function startSmtp(options: SmtpOptions = {}): Promise<SmtpHandle> {
  const mails: ReceivedMail[] = [];
  const logins: string[] = [];
  const secured: boolean[] = [];
  const reject = new Set((options.reject ?? []).map((a) => a.toLowerCase()));
  const server = new SMTPServer({
    logger: false,
    disabledCommands: [...(options.starttls ? [] : ['STARTTLS']), ...(options.auth ? [] : ['AUTH'])],
    authOptional: !options.auth,
    allowInsecureAuth: true,
    onAuth(auth, _session, callback) {
      if (options.auth && auth.username === options.auth.user && auth.password === options.auth.pass) {
        logins.push(auth.username ?? '');
        callback(null, { user: auth.username });
      } else {
        callback(new Error('Invalid username or password'));
      }
    },
    onRcptTo(address, _session, callback) {
      if (reject.has(address.address.toLowerCase())) {
        const error = Object.assign(new Error(`5.1.1 <${address.address}>: mailbox unavailable`), { responseCode: 550 });
        callback(error);
        return;
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
        mails.push(parseMail(Buffer.concat(chunks).toString('utf8'), from, session.envelope.rcptTo.map((r) => r.address)));
        secured.push(session.secure);
        callback();
      });
    },
  });
  server.listen(options.port ?? 0, '127.0.0.1');
  await once(server.server, 'listening');
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    mails,
    logins,
    secured,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A port nothing listens on (for "SMTP is down"): taken from the OS, then let go. */
export async function freePort(): Promise<number> {
  const probe = createNetServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

// ---------------------------------------------------------------------------------------------
// HTTP stand-ins

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function listen(server: Server): Promise<string> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function closeHttp(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

export const TWILIO_SID = `AC${'0123456789abcdef'.repeat(2)}`;
export const TWILIO_TOKEN = 'twilio-test-token';

export interface TwilioRequest {
  path: string;
  authorization: string | undefined;
  contentType: string | undefined;
  form: Record<string, string>;
}

export interface TwilioStandIn {
  url: string;
  requests: TwilioRequest[];
  /** Answer the next n requests with 503. */
  failNext(n: number): void;
  close(): Promise<void>;
}

/**
 * Twilio's Messages API as far as we use it: POST /2010-04-01/Accounts/{sid}/Messages.json,
 * form-encoded, basic auth with SID and token. Numbers in `invalid` get Twilio's 21211.
 */
export async function startTwilioStandIn(invalid: readonly string[] = []): Promise<TwilioStandIn> {
  const requests: TwilioRequest[] = [];
  let failing = 0;
  let seq = 0;
  const server = createHttpServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const form = Object.fromEntries(new URLSearchParams(body));
      requests.push({ path: req.url ?? '', authorization: req.headers.authorization, contentType: req.headers['content-type'], form });
      const reply = (status: number, json: unknown) => {
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(json));
      };
      const expectedAuth = `Basic ${Buffer.from(`${TWILIO_SID}:${TWILIO_TOKEN}`).toString('base64')}`;
      if (req.method !== 'POST' || req.url !== `/2010-04-01/Accounts/${TWILIO_SID}/Messages.json`) {
        reply(404, { code: 20404, message: 'The requested resource was not found', more_info: 'https://www.twilio.com/docs/errors/20404', status: 404 });
      } else if (req.headers.authorization !== expectedAuth) {
        reply(401, { code: 20003, message: 'Authenticate', more_info: 'https://www.twilio.com/docs/errors/20003', status: 401 });
      } else if (failing > 0) {
        failing -= 1;
        reply(503, { code: 20503, message: 'Service unavailable', more_info: 'https://www.twilio.com/docs/errors/20503', status: 503 });
      } else if (invalid.includes((form.To ?? '').replace(/^whatsapp:/, ''))) {
        reply(400, { code: 21211, message: `The 'To' number ${form.To} is not a valid phone number.`, more_info: 'https://www.twilio.com/docs/errors/21211', status: 400 });
      } else {
        seq += 1;
        reply(201, {
          sid: `SM${String(seq).padStart(32, '0')}`,
          account_sid: TWILIO_SID,
          to: form.To,
          from: form.From,
          body: form.Body,
          status: 'queued',
          num_segments: '1',
          direction: 'outbound-api',
          api_version: '2010-04-01',
          date_created: new Date().toUTCString(),
          uri: `/2010-04-01/Accounts/${TWILIO_SID}/Messages/SM${seq}.json`,
        });
      }
    })();
  });
  const url = await listen(server);
  return { url, requests, failNext: (n) => (failing = n), close: () => closeHttp(server) };
}

export interface WebhookCall {
  headers: Record<string, string | string[] | undefined>;
  raw: string;
}

export interface WebhookReceiver {
  url: string;
  calls: WebhookCall[];
  /** Status for the next calls, in order; 200 once exhausted. */
  respondWith(...statuses: number[]): void;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const calls: WebhookCall[] = [];
  const statuses: number[] = [];
  const server = createHttpServer((req, res) => {
    void (async () => {
      const raw = await readBody(req);
      calls.push({ headers: req.headers, raw });
      const status = statuses.shift() ?? 200;
      res.writeHead(status, { 'Content-Type': 'text/plain' });
      res.end(status < 300 ? 'ok' : 'receiver failed');
    })();
  });
  const url = await listen(server);
  return { url: `${url}/hooks/factoryops?token=abc`, calls, respondWith: (...s) => statuses.push(...s), close: () => closeHttp(server) };
}
