/**
 * The live stream (`GET /api/v1/stream`, WebSocket). Values arrive pushed as they are
 * stored: the hub listens to the Bus once and, per socket, keeps only the newest value of
 * each subscribed parameter until the socket's next push (at most `rateHz` a second). A slow
 * socket is shed: while its send buffer is full it receives nothing and only the latest
 * values are kept (memory stays bounded by its subscriptions), and one stuck for too long is
 * closed. A socket only ever sees events of its own factory.
 */
import type {} from '@fastify/websocket';
import { decodeJwt } from 'jose';
import type { WebSocket } from 'ws';
import {
  MAX_STREAM_SUBSCRIPTIONS,
  STREAM_CLOSE,
  type StreamAlarmDelta,
  type StreamServerMessage,
  type StreamValue,
} from '../../engine/contract/stream.js';
import type { AlarmDelta } from '../alarms/ports.js';
import { resolveAccessToken } from '../auth/guards.js';
import type { AccessTokens } from '../auth/access-tokens.js';
import type { Logger } from '../observe/logger.js';
import type { LiveBus, LiveEvent } from '../store/bus/live-bus.js';
import type { MetaStore } from '../store/meta/meta-store.js';
import { ApiError } from './api-error.js';
import type { App } from './http-server.js';

export interface StreamOptions {
  rateHz: number;
  /** Send buffer above which a socket is considered slow, bytes. */
  maxBufferedBytes: number;
  /** A socket slow for this long is closed, ms. */
  shedAfterMs: number;
  authTimeoutMs: number;
  summaryIntervalMs: number;
}

export const DEFAULT_STREAM_OPTIONS: StreamOptions = {
  rateHz: 4,
  maxBufferedBytes: 1024 * 1024,
  shedAfterMs: 30_000,
  authTimeoutMs: 10_000,
  summaryIntervalMs: 5_000,
};

interface Connection {
  socket: WebSocket;
  factoryId: number;
  userId: number;
  devices: Set<number>;
  summary: boolean;
  alarms: boolean;
  pending: Map<number, Map<string, StreamValue>>;
  slowSince: number | null;
  expiryTimer: NodeJS.Timeout | null;
}

export interface StreamDeps {
  meta: MetaStore;
  tokens: AccessTokens;
  bus: LiveBus;
  logger: Logger;
  clock: () => number;
  summary(factoryId: number): Promise<Record<string, number>>;
  /**
   * The stored latest values of a device: sent once when it is subscribed, so a client that
   * (re)connects shows every value at once instead of dashes until each next sample.
   */
  latest?(factoryId: number, deviceId: number): Promise<ReadonlyArray<{ parameter: string; ts: number; value: number | string | boolean }>>;
  /** Alarm deltas as clients see them; absent until the alarm service is wired. */
  alarms?: {
    toStream(delta: AlarmDelta): StreamAlarmDelta;
    currentSeq(factoryId: number): Promise<number>;
    resync(factoryId: number, since: number): Promise<StreamServerMessage>;
  };
}

export class StreamHub {
  private readonly byFactory = new Map<number, Set<Connection>>();
  private readonly unsubscribe: () => void;
  private readonly flushTimer: NodeJS.Timeout;
  private readonly summaryTimer: NodeJS.Timeout;

  constructor(
    private readonly deps: StreamDeps,
    private readonly options: StreamOptions = DEFAULT_STREAM_OPTIONS,
  ) {
    this.unsubscribe = deps.bus.subscribe((event) => this.onEvent(event));
    // One timer for all sockets: each tick pushes what each socket has pending.
    this.flushTimer = setInterval(() => this.flushAll(), Math.max(50, Math.round(1000 / options.rateHz)));
    this.summaryTimer = setInterval(() => void this.pushSummaries(), options.summaryIntervalMs);
    this.flushTimer.unref();
    this.summaryTimer.unref();
  }

  get connectionCount(): number {
    let n = 0;
    for (const set of this.byFactory.values()) n += set.size;
    return n;
  }

  close(): void {
    this.unsubscribe();
    clearInterval(this.flushTimer);
    clearInterval(this.summaryTimer);
    for (const set of this.byFactory.values()) for (const c of set) c.socket.close(1001, 'server shutting down');
    this.byFactory.clear();
  }

  /** Handles one new socket: authentication first, then subscriptions. */
  accept(socket: WebSocket): void {
    let connection: Connection | null = null;
    const authTimer = setTimeout(() => socket.close(STREAM_CLOSE.AUTH_TIMEOUT, 'send {"type":"auth","token":...} first'), this.options.authTimeoutMs);
    socket.on('message', (data, isBinary) => {
      if (isBinary) return this.send(socket, { type: 'error', code: 'VALIDATION_FAILED', message: 'send JSON text messages' });
      let message: unknown;
      try {
        message = JSON.parse(data.toString());
      } catch {
        return this.send(socket, { type: 'error', code: 'INVALID_JSON', message: 'message is not valid JSON' });
      }
      void this.onMessage(socket, connection, message, (c) => {
        clearTimeout(authTimer);
        connection = c;
      }).catch((error: unknown) => {
        this.deps.logger.warn({ event: 'stream.message_failed', err: error }, 'stream message failed');
        this.send(socket, { type: 'error', code: 'INTERNAL', message: 'could not handle that message' });
      });
    });
    socket.on('close', () => {
      clearTimeout(authTimer);
      if (connection) this.remove(connection);
    });
    socket.on('error', () => socket.terminate());
  }

  private async onMessage(socket: WebSocket, connection: Connection | null, message: unknown, setConnection: (c: Connection) => void): Promise<void> {
    if (typeof message !== 'object' || message === null || typeof (message as { type?: unknown }).type !== 'string') {
      return this.send(socket, { type: 'error', code: 'VALIDATION_FAILED', message: 'a message is an object with a "type"' });
    }
    const m = message as Record<string, unknown>;
    if (m.type === 'auth') {
      if (typeof m.token !== 'string' || m.token.length > 4096) {
        return this.send(socket, { type: 'error', code: 'VALIDATION_FAILED', message: '"token" must be the access token' });
      }
      const verified = await this.deps.tokens.verify(m.token, this.deps.clock());
      let auth;
      try {
        auth = await resolveAccessToken(this.deps.meta, this.deps.tokens, m.token, this.deps.clock());
      } catch (error) {
        const reason = error instanceof ApiError ? error.message : 'token not valid';
        if (!connection) socket.close(STREAM_CLOSE.AUTH_FAILED, reason.slice(0, 120));
        else this.send(socket, { type: 'error', code: 'TOKEN_INVALID', message: reason });
        return;
      }
      if (connection && (connection.factoryId !== auth.factory.id || connection.userId !== auth.user.id)) {
        socket.close(STREAM_CLOSE.AUTH_FAILED, 'a stream stays with the person and factory it started with');
        return;
      }
      // The socket lives as long as the token it was opened with: its own `exp`, not a full
      // TTL from now (a token issued 14 minutes ago has one minute left).
      const exp = verified.ok ? decodeJwt(m.token).exp : undefined;
      const expiresAt = typeof exp === 'number' ? exp * 1000 : this.deps.clock();
      const c: Connection = connection ?? {
        socket,
        factoryId: auth.factory.id,
        userId: auth.user.id,
        devices: new Set(),
        summary: false,
        alarms: false,
        pending: new Map(),
        slowSince: null,
        expiryTimer: null,
      };
      if (c.expiryTimer) clearTimeout(c.expiryTimer);
      c.expiryTimer = setTimeout(() => socket.close(STREAM_CLOSE.TOKEN_EXPIRED, 'access token expired; reconnect with a fresh one'), Math.max(0, expiresAt - this.deps.clock()));
      c.expiryTimer.unref();
      if (!connection) {
        setConnection(c);
        const set = this.byFactory.get(c.factoryId) ?? new Set();
        set.add(c);
        this.byFactory.set(c.factoryId, set);
      }
      return this.send(socket, { type: 'ready', user_id: c.userId, factory_id: c.factoryId, rate_hz: this.options.rateHz, expires_at: expiresAt });
    }
    if (!connection) {
      socket.close(STREAM_CLOSE.AUTH_FAILED, 'authenticate first');
      return;
    }
    switch (m.type) {
      case 'ping':
        return this.send(socket, { type: 'pong' });
      case 'subscribe':
      case 'unsubscribe': {
        const ids = m.devices;
        if (ids !== undefined && (!Array.isArray(ids) || ids.length > MAX_STREAM_SUBSCRIPTIONS || !ids.every((id) => Number.isSafeInteger(id) && (id as number) > 0))) {
          return this.send(socket, { type: 'error', code: 'VALIDATION_FAILED', message: `"devices" must be a list of at most ${MAX_STREAM_SUBSCRIPTIONS} device ids` });
        }
        if ((m.summary !== undefined && typeof m.summary !== 'boolean') || (m.alarms !== undefined && typeof m.alarms !== 'boolean')) {
          return this.send(socket, { type: 'error', code: 'VALIDATION_FAILED', message: '"summary" and "alarms" must be true or false' });
        }
        const wanted = (ids ?? []) as number[];
        if (m.type === 'subscribe') {
          // Only this factory's devices can be subscribed; others are reported as not found.
          const own = new Set((await this.deps.meta.devices.listAll(connection.factoryId)).map((d) => d.id));
          const unknown = wanted.filter((id) => !own.has(id));
          const added = wanted.filter((id) => own.has(id) && !connection.devices.has(id));
          for (const id of wanted) if (own.has(id)) connection.devices.add(id);
          if (connection.devices.size > MAX_STREAM_SUBSCRIPTIONS) {
            for (const id of wanted) connection.devices.delete(id);
            return this.send(socket, { type: 'error', code: 'VALIDATION_FAILED', message: `at most ${MAX_STREAM_SUBSCRIPTIONS} devices per stream` });
          }
          if (m.summary === true) connection.summary = true;
          if (m.alarms === true) connection.alarms = true;
          if (unknown.length > 0) this.send(socket, { type: 'error', code: 'DEVICE_NOT_FOUND', message: `devices not found: ${unknown.slice(0, 20).join(', ')}` });
          if (m.summary === true) void this.pushSummary(connection);
          if (added.length > 0 && connection.devices.size <= MAX_STREAM_SUBSCRIPTIONS) await this.queueLatest(connection, added);
        } else {
          for (const id of wanted) {
            connection.devices.delete(id);
            connection.pending.delete(id);
          }
          if (m.summary === true) connection.summary = false;
          if (m.alarms === true) connection.alarms = false;
        }
        const alarmSeq = this.deps.alarms ? await this.deps.alarms.currentSeq(connection.factoryId) : 0;
        return this.send(socket, { type: 'subscribed', devices: [...connection.devices], summary: connection.summary, alarms: connection.alarms, alarm_seq: alarmSeq });
      }
      case 'alarm_resync': {
        if (!Number.isSafeInteger(m.since) || (m.since as number) < 0) {
          return this.send(socket, { type: 'error', code: 'VALIDATION_FAILED', message: '"since" must be the last alarm sequence number seen (0 for none)' });
        }
        if (!this.deps.alarms) return this.send(socket, { type: 'alarm_changes', since: m.since as number, seq: 0, deltas: [] });
        return this.send(socket, await this.deps.alarms.resync(connection.factoryId, m.since as number));
      }
      default:
        return this.send(socket, { type: 'error', code: 'VALIDATION_FAILED', message: `unknown message type "${String(m.type).slice(0, 40)}"` });
    }
  }

  private onEvent(event: LiveEvent): void {
    const connections = this.byFactory.get(event.factoryId);
    if (!connections) return;
    if (event.type === 'alarm') {
      // Alarms are never coalesced: every transition reaches every console of the factory.
      const alarms = this.deps.alarms;
      if (!alarms) return;
      const delta = alarms.toStream(event.delta);
      for (const c of connections) if (c.alarms) this.send(c.socket, { type: 'alarm', delta });
      return;
    }
    for (const c of connections) {
      if (!c.devices.has(event.deviceId)) continue;
      if (event.type === 'samples') {
        let values = c.pending.get(event.deviceId);
        if (!values) {
          values = new Map();
          c.pending.set(event.deviceId, values);
        }
        for (const s of event.samples) {
          const current = values.get(s.parameter);
          if (!current || current.ts <= s.ts) values.set(s.parameter, { ts: s.ts, value: s.value });
        }
      } else {
        this.send(c.socket, { type: 'device_status', device_id: event.deviceId, status: event.status, last_seen: event.lastSeen });
      }
    }
  }

  /** Queues the stored latest values of newly subscribed devices; newer live samples win. */
  private async queueLatest(connection: Connection, deviceIds: readonly number[]): Promise<void> {
    const latest = this.deps.latest;
    if (!latest) return;
    for (const deviceId of deviceIds) {
      let stored: Awaited<ReturnType<typeof latest>>;
      try {
        stored = await latest(connection.factoryId, deviceId);
      } catch (error) {
        this.deps.logger.warn({ event: 'stream.latest_failed', factoryId: connection.factoryId, deviceId, err: error }, 'could not read latest values for a subscription');
        continue;
      }
      if (stored.length === 0 || !connection.devices.has(deviceId)) continue;
      let values = connection.pending.get(deviceId);
      if (!values) {
        values = new Map();
        connection.pending.set(deviceId, values);
      }
      for (const v of stored) {
        const current = values.get(v.parameter);
        if (!current || current.ts < v.ts) values.set(v.parameter, { ts: v.ts, value: v.value });
      }
    }
  }

  private flushAll(): void {
    const now = this.deps.clock();
    for (const set of this.byFactory.values()) {
      for (const c of set) {
        if (c.pending.size === 0) continue;
        if (c.socket.bufferedAmount > this.options.maxBufferedBytes) {
          c.slowSince ??= now;
          if (now - c.slowSince > this.options.shedAfterMs) c.socket.close(STREAM_CLOSE.TOO_SLOW, 'client too slow; reconnect');
          continue;
        }
        c.slowSince = null;
        const devices: Record<string, Record<string, StreamValue>> = {};
        for (const [deviceId, values] of c.pending) devices[deviceId] = Object.fromEntries(values);
        c.pending.clear();
        this.send(c.socket, { type: 'samples', devices });
      }
    }
  }

  private async pushSummaries(): Promise<void> {
    for (const [factoryId, set] of this.byFactory) {
      const wanting = [...set].filter((c) => c.summary);
      if (wanting.length === 0) continue;
      try {
        const data = await this.deps.summary(factoryId);
        for (const c of wanting) this.send(c.socket, { type: 'summary', data });
      } catch (error) {
        this.deps.logger.warn({ event: 'stream.summary_failed', factoryId, err: error }, 'summary failed');
      }
    }
  }

  private async pushSummary(c: Connection): Promise<void> {
    try {
      this.send(c.socket, { type: 'summary', data: await this.deps.summary(c.factoryId) });
    } catch (error) {
      this.deps.logger.warn({ event: 'stream.summary_failed', factoryId: c.factoryId, err: error }, 'summary failed');
    }
  }

  private remove(c: Connection): void {
    if (c.expiryTimer) clearTimeout(c.expiryTimer);
    const set = this.byFactory.get(c.factoryId);
    set?.delete(c);
    if (set && set.size === 0) this.byFactory.delete(c.factoryId);
  }

  private send(socket: WebSocket, message: StreamServerMessage): void {
    if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message));
  }
}

export async function streamRoute(app: App, hub: StreamHub): Promise<void> {
  app.get('/stream', { websocket: true }, (socket) => hub.accept(socket));
}
