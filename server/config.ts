/**
 * Server configuration from command-line flags and FACTORYOPS_* environment variables
 * (a flag wins over its variable). Every option is listed once in OPTIONS, which also
 * produces the --help text and the README's configuration table.
 */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CliError } from './cli/cli-error.js';

export interface SmtpConfig {
  host: string;
  port: number;
  secure: boolean;
  username: string | null;
  password: string | null;
  from: string;
}

export interface ServerConfig {
  dataDir: string;
  host: string;
  httpPort: number;
  mqttPort: number;
  tls: boolean;
  /** "sqlite" (file in the data dir) or mysql://user:pass@host/db */
  metadata: string;
  logLevel: string;
  demo: boolean;
  /** Base URL people use to reach this server (invite links); derived when unset. */
  publicUrl: string | null;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  smtp: SmtpConfig | null;
  /** External broker (mqtt://, mqtts://); null = the embedded broker on mqttPort. */
  mqttUrl: string | null;
  /** Embedded broker: MQTT over WebSocket (ws://host:port/mqtt) port; null = off. */
  mqttWsPort: number | null;
  /** Embedded broker: MQTT over TLS with the site certificate; null = off. */
  mqttsPort: number | null;
  /** External broker: shared-subscription group (server nodes sharing the load use the same one). */
  mqttShareGroup: string;
  /** External broker: client id; stable across restarts so the broker keeps the session's QoS 1 queue. */
  mqttClientId: string | null;
  allowAnonymous: boolean;
  /** Embedded broker: a subscriber with more unread bytes than this is disconnected. */
  mqttMaxBacklogBytes: number;
  /** Live pushes per second per WebSocket client. */
  streamRateHz: number;
  /** Silence after which a device counts as offline, ms. */
  offlineAfterMs: number;
  rawRetentionDays: number;
  maxPayloadBytes: number;
  /** Alarm-system health limits (ISA-18.2 defaults). */
  alarmHealth: AlarmHealthLimits;
  /** Desktop update feed (latest.yml and installers) served at /api/v1/updates. */
  updatesDir: string;
}

/** "More than maxAlarms raises within windowMs" is a flood (per factory) or chattering (per alarm). */
export interface AlarmRateLimit {
  maxAlarms: number;
  windowMs: number;
}

export interface AlarmHealthLimits {
  flood: AlarmRateLimit;
  chatter: AlarmRateLimit;
  standingAfterMs: number;
}

type OptionSpec = {
  flag: string;
  env: string;
  type: 'string' | 'boolean';
  help: string;
  default?: string;
};

export const SERVE_OPTIONS: readonly OptionSpec[] = [
  { flag: 'data-dir', env: 'FACTORYOPS_DATA_DIR', type: 'string', default: './data', help: 'where the databases, certificate and secrets live' },
  { flag: 'host', env: 'FACTORYOPS_HOST', type: 'string', default: '0.0.0.0', help: 'address the HTTP(S) and MQTT listeners bind to' },
  { flag: 'http-port', env: 'FACTORYOPS_HTTP_PORT', type: 'string', default: '8443', help: 'HTTPS (or HTTP with --no-tls) port for the API and UI' },
  { flag: 'mqtt-port', env: 'FACTORYOPS_MQTT_PORT', type: 'string', default: '1883', help: 'port of the embedded MQTT broker' },
  { flag: 'no-tls', env: 'FACTORYOPS_NO_TLS', type: 'boolean', help: 'serve plain HTTP (only behind a TLS-terminating proxy or for local tests)' },
  { flag: 'metadata', env: 'FACTORYOPS_METADATA', type: 'string', default: 'sqlite', help: 'metadata database: sqlite, sqlite:/path/file.db, or mysql://user:pass@host:port/db' },
  { flag: 'log-level', env: 'FACTORYOPS_LOG_LEVEL', type: 'string', default: 'info', help: 'fatal, error, warn, info, debug or trace' },
  { flag: 'mqtt-url', env: 'FACTORYOPS_MQTT_URL', type: 'string', help: 'use an external broker (mqtt://user:pass@host:1883) instead of the embedded one' },
  { flag: 'mqtt-ws-port', env: 'FACTORYOPS_MQTT_WS_PORT', type: 'string', help: 'also serve MQTT over WebSocket (path /mqtt) on this port (embedded broker; off by default)' },
  { flag: 'mqtts-port', env: 'FACTORYOPS_MQTTS_PORT', type: 'string', help: 'also serve MQTT over TLS with the site certificate on this port (embedded broker; off by default, 8883 is usual)' },
  { flag: 'mqtt-share-group', env: 'FACTORYOPS_MQTT_SHARE_GROUP', type: 'string', default: 'factoryops', help: 'external broker: $share group the server nodes split telemetry in' },
  { flag: 'mqtt-client-id', env: 'FACTORYOPS_MQTT_CLIENT_ID', type: 'string', help: 'external broker: client id (default factoryops-{hostname}; give each node on one host its own)' },
  { flag: 'allow-anonymous', env: 'FACTORYOPS_ALLOW_ANONYMOUS', type: 'boolean', help: 'let MQTT clients connect without credentials (trusted networks only)' },
  { flag: 'mqtt-max-backlog-bytes', env: 'FACTORYOPS_MQTT_MAX_BACKLOG_BYTES', type: 'string', default: '8388608', help: 'embedded broker: disconnect a subscriber that leaves more than this many bytes unread' },
  { flag: 'stream-rate', env: 'FACTORYOPS_STREAM_RATE', type: 'string', default: '4', help: 'live value pushes per second per WebSocket client (1-20)' },
  { flag: 'offline-after', env: 'FACTORYOPS_OFFLINE_AFTER', type: 'string', default: '600', help: 'seconds of silence after which a device is offline' },
  { flag: 'raw-retention-days', env: 'FACTORYOPS_RAW_RETENTION_DAYS', type: 'string', default: '90', help: 'days raw values are kept (rollups are kept longer)' },
  { flag: 'max-payload-bytes', env: 'FACTORYOPS_MAX_PAYLOAD_BYTES', type: 'string', default: '262144', help: 'largest accepted telemetry message' },
  { flag: 'alarm-flood', env: 'FACTORYOPS_ALARM_FLOOD', type: 'string', default: '10/10', help: 'alarm flood: more than N alarms in M minutes per factory, as N/M (ISA-18.2: 10/10)' },
  { flag: 'alarm-chatter', env: 'FACTORYOPS_ALARM_CHATTER', type: 'string', default: '2/1', help: 'chattering: one alarm raised more than N times in M minutes, as N/M' },
  { flag: 'alarm-standing-hours', env: 'FACTORYOPS_ALARM_STANDING_HOURS', type: 'string', default: '24', help: 'an alarm active longer than this many hours is standing' },
  { flag: 'demo', env: 'FACTORYOPS_DEMO', type: 'boolean', help: 'also run a simulated device fleet publishing over MQTT' },
  { flag: 'public-url', env: 'FACTORYOPS_PUBLIC_URL', type: 'string', help: 'URL people use to reach the server (used in invite links)' },
  { flag: 'access-token-ttl', env: 'FACTORYOPS_ACCESS_TOKEN_TTL', type: 'string', default: '900', help: 'access token lifetime, seconds' },
  { flag: 'refresh-token-ttl', env: 'FACTORYOPS_REFRESH_TOKEN_TTL', type: 'string', default: '1209600', help: 'refresh token lifetime, seconds (default 14 days)' },
  { flag: 'updates-dir', env: 'FACTORYOPS_UPDATES_DIR', type: 'string', help: 'desktop update feed folder (latest.yml + installers); default <data-dir>/updates' },
];

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function port(value: string, name: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 65535) {
    throw new CliError(`${name} must be a port number between 1 and 65535, got "${value}"`, 2);
  }
  return n;
}

function positiveInt(value: string, name: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1) throw new CliError(`${name} must be a positive whole number, got "${value}"`, 2);
  return n;
}

function within(n: number, min: number, max: number, name: string): number {
  if (n < min || n > max) throw new CliError(`${name} must be between ${min} and ${max}, got ${n}`, 2);
  return n;
}

/** "N/M": more than N alarms within M minutes. */
function alarmRate(value: string, name: string): AlarmRateLimit {
  const match = /^(\d+)\/(\d+)$/.exec(value);
  const max = match ? Number(match[1]) : NaN;
  const minutes = match ? Number(match[2]) : NaN;
  if (!match || max < 1 || max > 100_000 || minutes < 1 || minutes > 10_080) {
    throw new CliError(`${name} must be N/M (more than N alarms in M minutes, e.g. 10/10), got "${value}"`, 2);
  }
  return { maxAlarms: max, windowMs: minutes * 60_000 };
}

function mqttUrl(value: string): string | null {
  if (value === '') return null;
  if (!/^(mqtts?|wss?|tcp|ssl):\/\/[^\s]+$/.test(value)) {
    throw new CliError(`--mqtt-url must look like mqtt://user:password@host:1883 (or mqtts://), got "${value.replace(/:[^:@/]*@/, ':***@')}"`, 2);
  }
  return value;
}

/** A share group or client id: no topic wildcards or separators, at most 64 characters. */
function mqttName(value: string, name: string): string {
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(value)) throw new CliError(`${name} must be 1-64 letters, digits, '_', '.' or '-', got "${value}"`, 2);
  return value;
}

function truthy(value: string | undefined): boolean {
  return value !== undefined && /^(1|true|yes|on)$/i.test(value);
}

/** Parses flags for a command against specs, failing with one clear line on anything unknown. */
export function parseFlags(
  command: string,
  argv: readonly string[],
  specs: readonly OptionSpec[],
): Record<string, string | boolean | undefined> {
  try {
    const { values } = parseArgs({
      args: [...argv],
      options: Object.fromEntries(specs.map((s) => [s.flag, { type: s.type }])),
      strict: true,
      allowPositionals: false,
    });
    return values as Record<string, string | boolean | undefined>;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new CliError(`${command}: ${message.replace(/\. To specify.*$/s, '')}. Run "factoryops ${command} --help" for the options.`, 2);
  }
}

export function resolveServeConfig(argv: readonly string[], env: NodeJS.ProcessEnv): ServerConfig {
  const flags = parseFlags('serve', argv, [...SERVE_OPTIONS, { flag: 'help', env: '', type: 'boolean', help: '' }]);
  const pick = (flag: string): string => {
    const spec = SERVE_OPTIONS.find((s) => s.flag === flag);
    const fromFlag = flags[flag];
    if (typeof fromFlag === 'string') return fromFlag;
    const fromEnv = spec ? env[spec.env] : undefined;
    if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
    return spec?.default ?? '';
  };
  const bool = (flag: string): boolean => {
    const spec = SERVE_OPTIONS.find((s) => s.flag === flag);
    return flags[flag] === true || truthy(spec ? env[spec.env] : undefined);
  };

  const logLevel = pick('log-level');
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new CliError(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`, 2);
  }
  const publicUrl = pick('public-url') || null;
  if (publicUrl !== null && !/^https?:\/\/[^\s]+$/.test(publicUrl)) {
    throw new CliError(`--public-url must be an http(s) URL, got "${publicUrl}"`, 2);
  }
  // FACTORYOPS_TLS=false is accepted as well, since that is how people write it in .env files.
  const tls = !(bool('no-tls') || /^(0|false|no|off)$/i.test(env.FACTORYOPS_TLS ?? ''));

  return {
    dataDir: resolve(pick('data-dir')),
    host: pick('host'),
    httpPort: port(pick('http-port'), '--http-port'),
    mqttPort: port(pick('mqtt-port'), '--mqtt-port'),
    tls,
    metadata: pick('metadata'),
    logLevel,
    demo: bool('demo'),
    publicUrl,
    accessTokenTtlSeconds: positiveInt(pick('access-token-ttl'), '--access-token-ttl'),
    refreshTokenTtlSeconds: positiveInt(pick('refresh-token-ttl'), '--refresh-token-ttl'),
    smtp: smtpFromEnv(env),
    mqttUrl: mqttUrl(pick('mqtt-url')),
    mqttWsPort: pick('mqtt-ws-port') === '' ? null : port(pick('mqtt-ws-port'), '--mqtt-ws-port'),
    mqttsPort: pick('mqtts-port') === '' ? null : port(pick('mqtts-port'), '--mqtts-port'),
    mqttShareGroup: mqttName(pick('mqtt-share-group'), '--mqtt-share-group'),
    mqttClientId: pick('mqtt-client-id') === '' ? null : mqttName(pick('mqtt-client-id'), '--mqtt-client-id'),
    allowAnonymous: bool('allow-anonymous'),
    mqttMaxBacklogBytes: within(positiveInt(pick('mqtt-max-backlog-bytes'), '--mqtt-max-backlog-bytes'), 65_536, 1024 * 1024 * 1024, '--mqtt-max-backlog-bytes'),
    streamRateHz: within(positiveInt(pick('stream-rate'), '--stream-rate'), 1, 20, '--stream-rate'),
    offlineAfterMs: positiveInt(pick('offline-after'), '--offline-after') * 1000,
    rawRetentionDays: positiveInt(pick('raw-retention-days'), '--raw-retention-days'),
    maxPayloadBytes: within(positiveInt(pick('max-payload-bytes'), '--max-payload-bytes'), 1024, 16 * 1024 * 1024, '--max-payload-bytes'),
    alarmHealth: {
      flood: alarmRate(pick('alarm-flood'), '--alarm-flood'),
      chatter: alarmRate(pick('alarm-chatter'), '--alarm-chatter'),
      standingAfterMs: within(positiveInt(pick('alarm-standing-hours'), '--alarm-standing-hours'), 1, 8760, '--alarm-standing-hours') * 3_600_000,
    },
    updatesDir: resolve(pick('updates-dir') || join(pick('data-dir'), 'updates')),
  };
}

/** SMTP settings use the seed's variable names (SMTP_HOST, …); absent host = no e-mail. */
export function smtpFromEnv(env: NodeJS.ProcessEnv): SmtpConfig | null {
  const host = env.SMTP_HOST;
  if (!host) return null;
  const portValue = env.SMTP_PORT ?? '587';
  return {
    host,
    port: port(portValue, 'SMTP_PORT'),
    secure: truthy(env.SMTP_SECURE),
    username: env.SMTP_USERNAME || null,
    password: env.SMTP_PASSWORD || null,
    from: env.SMTP_FROM_EMAIL || `factoryops@${host}`,
  };
}

export function optionsHelp(specs: readonly OptionSpec[]): string {
  return specs
    .map((s) => {
      const left = `  --${s.flag}${s.type === 'string' ? ' VALUE' : ''}`;
      const def = s.default !== undefined ? ` (default ${s.default})` : '';
      return `${left.padEnd(30)}${s.help}${def}\n${''.padEnd(30)}env ${s.env}`;
    })
    .join('\n');
}
