/**
 * The live stream `/api/v1/stream`: authenticate first, subscribe, receive pushes. It
 * reconnects on its own with exponential backoff and jitter, re-authenticates with a fresh
 * access token before the old one runs out, and re-sends its subscriptions after every
 * reconnect. A socket that goes silent (half-open TCP after a network cut) is detected by a
 * ping and replaced.
 */
import { STREAM_CLOSE, type StreamClientMessage, type StreamServerMessage } from '../../../engine/contract/stream.js';

export type LinkState = 'idle' | 'connecting' | 'open' | 'down';

export interface LinkStatus {
  state: LinkState;
  /** When the link was last fully up (open) or, while down, since when it has been down. */
  since: number;
  /** Reconnect attempts since the link went down. */
  attempt: number;
  /** When the next attempt starts (while down). */
  nextRetryAt: number | null;
  reason: string | null;
}

export interface StreamEvents {
  message(message: StreamServerMessage): void;
  /** A new socket is authenticated and its subscriptions are sent. */
  ready(): void;
  status(status: LinkStatus): void;
  /** The server refused the token (not merely expired): the session may have ended. */
  authRejected(): void;
}

export interface StreamClientOptions {
  url: () => string;
  /** A valid access token, refreshed if needed; null when signed out. */
  token: () => Promise<string | null>;
  events: StreamEvents;
  now?: () => number;
  /** Ping period and the silence after which the socket is considered dead, ms. */
  pingMs?: number;
  silenceMs?: number;
  maxBackoffMs?: number;
}

export class StreamClient {
  private socket: WebSocket | null = null;
  private running = false;
  private authed = false;
  private attempt = 0;
  private downSince: number | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private lastMessageAt = 0;
  private readonly deviceRefs = new Map<number, number>();
  private sentDevices = new Set<number>();
  private summary = false;
  private alarms = false;
  private flushQueued = false;
  private readonly now: () => number;

  constructor(private readonly options: StreamClientOptions) {
    this.now = options.now ?? Date.now;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.connect();
  }

  stop(): void {
    this.running = false;
    this.clearTimers();
    const socket = this.socket;
    this.socket = null;
    this.authed = false;
    if (socket && socket.readyState <= WebSocket.OPEN) socket.close(1000, 'signed out');
    this.emitStatus('idle', null);
  }

  /** Keeps these devices subscribed until the returned function is called (reference counted). */
  watchDevices(ids: readonly number[]): () => void {
    for (const id of ids) this.deviceRefs.set(id, (this.deviceRefs.get(id) ?? 0) + 1);
    this.queueFlush();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const id of ids) {
        const n = (this.deviceRefs.get(id) ?? 0) - 1;
        if (n <= 0) this.deviceRefs.delete(id);
        else this.deviceRefs.set(id, n);
      }
      this.queueFlush();
    };
  }

  setSummary(on: boolean): void {
    if (this.summary === on) return;
    this.summary = on;
    if (this.authed) this.send(on ? { type: 'subscribe', summary: true } : { type: 'unsubscribe', summary: true });
  }

  setAlarms(on: boolean): void {
    if (this.alarms === on) return;
    this.alarms = on;
    if (this.authed) this.send(on ? { type: 'subscribe', alarms: true } : { type: 'unsubscribe', alarms: true });
  }

  /** Hands a fresh access token to the open socket so the server extends its life. */
  reauthenticate(token: string): void {
    if (this.authed) this.send({ type: 'auth', token });
  }

  /** Sends when authenticated; returns false otherwise (the caller retries after `ready`). */
  send(message: StreamClientMessage): boolean {
    const socket = this.socket;
    if (!socket || socket.readyState !== WebSocket.OPEN || (!this.authed && message.type !== 'auth')) return false;
    socket.send(JSON.stringify(message));
    return true;
  }

  /** Closes the current socket and reconnects now (after a long sleep, or a network change). */
  reconnectNow(): void {
    if (!this.running) return;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.socket?.close(4000, 'reconnect');
    this.socket = null;
    this.connect();
  }

  private async connect(): Promise<void> {
    if (!this.running) return;
    this.emitStatus('connecting', null);
    const token = await this.options.token();
    if (!this.running) return;
    if (!token) {
      this.scheduleRetry('no valid session token');
      return;
    }
    let socket: WebSocket;
    try {
      socket = new WebSocket(this.options.url());
    } catch (error) {
      this.scheduleRetry(error instanceof Error ? error.message : 'cannot open the stream');
      return;
    }
    this.socket = socket;
    this.authed = false;
    socket.onopen = () => {
      this.lastMessageAt = this.now();
      socket.send(JSON.stringify({ type: 'auth', token } satisfies StreamClientMessage));
    };
    socket.onmessage = (event) => {
      if (socket !== this.socket) return;
      this.lastMessageAt = this.now();
      let message: StreamServerMessage;
      try {
        message = JSON.parse(String(event.data)) as StreamServerMessage;
      } catch {
        return;
      }
      if (message.type === 'ready' && !this.authed) this.onReady();
      this.options.events.message(message);
    };
    socket.onclose = (event) => {
      if (socket !== this.socket) return;
      this.socket = null;
      this.authed = false;
      this.clearPing();
      if (!this.running) return;
      if (event.code === STREAM_CLOSE.AUTH_FAILED) this.options.events.authRejected();
      // An expired token is routine: reconnect at once with a fresh one.
      const immediate = event.code === STREAM_CLOSE.TOKEN_EXPIRED && this.attempt === 0;
      this.scheduleRetry(closeReason(event), immediate);
    };
    socket.onerror = () => {
      // onclose follows with the details; nothing to do here.
    };
  }

  private onReady(): void {
    this.authed = true;
    this.attempt = 0;
    this.downSince = null;
    this.sentDevices = new Set(this.deviceRefs.keys());
    this.send({ type: 'subscribe', devices: [...this.sentDevices], summary: this.summary, alarms: this.alarms });
    this.startPing();
    this.emitStatus('open', null);
    this.options.events.ready();
  }

  private queueFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(() => {
      this.flushQueued = false;
      if (!this.authed) return;
      const wanted = new Set(this.deviceRefs.keys());
      const add = [...wanted].filter((id) => !this.sentDevices.has(id));
      const remove = [...this.sentDevices].filter((id) => !wanted.has(id));
      if (add.length > 0) this.send({ type: 'subscribe', devices: add });
      if (remove.length > 0) this.send({ type: 'unsubscribe', devices: remove });
      this.sentDevices = wanted;
    });
  }

  private scheduleRetry(reason: string, immediate = false): void {
    if (!this.running) return;
    this.downSince ??= this.now();
    const delay = immediate ? 0 : backoffMs(this.attempt, this.options.maxBackoffMs ?? 30_000);
    this.attempt += 1;
    this.emitStatus('down', reason, this.now() + delay);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.connect();
    }, delay);
  }

  private startPing(): void {
    this.clearPing();
    const pingMs = this.options.pingMs ?? 15_000;
    const silenceMs = this.options.silenceMs ?? 40_000;
    this.pingTimer = setInterval(() => {
      if (this.now() - this.lastMessageAt > silenceMs) {
        // Half-open connection: the server is gone but TCP has not noticed.
        const socket = this.socket;
        this.socket = null;
        this.authed = false;
        this.clearPing();
        socket?.close(4000, 'silent');
        this.scheduleRetry('no answer from the server');
        return;
      }
      this.send({ type: 'ping' });
    }, pingMs);
  }

  private clearPing(): void {
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.pingTimer = null;
  }

  private clearTimers(): void {
    this.clearPing();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  private emitStatus(state: LinkState, reason: string | null, nextRetryAt: number | null = null): void {
    const since = state === 'down' || state === 'connecting' ? (this.downSince ?? this.now()) : this.now();
    this.options.events.status({ state, since, attempt: this.attempt, nextRetryAt, reason });
  }
}

/** 1 s, 2 s, 4 s … up to the cap, each with ±25 % jitter so a site's consoles do not reconnect in lockstep. */
export function backoffMs(attempt: number, capMs: number): number {
  const base = Math.min(capMs, 1000 * 2 ** Math.min(attempt, 16));
  return Math.round(base * (0.75 + Math.random() * 0.5));
}

function closeReason(event: CloseEvent): string {
  switch (event.code) {
    case STREAM_CLOSE.TOKEN_EXPIRED:
      return 'session token expired';
    case STREAM_CLOSE.AUTH_FAILED:
      return 'the server refused the session';
    case STREAM_CLOSE.TOO_SLOW:
      return 'this display fell behind';
    case 1001:
      return 'the server is restarting';
    case 1005:
    case 1006:
      return 'connection lost';
    default:
      return event.reason || `closed (${event.code})`;
  }
}
