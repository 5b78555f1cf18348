/**
 * The WebSocket stream `/api/v1/stream`: message shapes both ends agree on.
 *
 * 1. The client sends `auth` with its access token first (within 10 s); the server answers
 *    `ready`. Before the token expires the client sends `auth` again with a fresh one.
 * 2. `subscribe` / `unsubscribe` devices (ids) and/or the factory summary.
 * 3. The server pushes `samples` (latest value per parameter since the last push, coalesced
 *    to at most `rate_hz` pushes a second), `device_status`, and `summary`.
 */
export type StreamClientMessage =
  | { type: 'auth'; token: string }
  | { type: 'subscribe'; devices?: number[]; summary?: boolean; alarms?: boolean }
  | { type: 'unsubscribe'; devices?: number[]; summary?: boolean; alarms?: boolean }
  /** Ask for every alarm transition after `since` (after a gap in `seq`, or on reconnect). */
  | { type: 'alarm_resync'; since: number }
  | { type: 'ping' };

/** An alarm as the stream and the alerts API show it (snake_case, epoch ms). */
export interface StreamAlarm {
  id: number;
  rule_id: number;
  device_id: number;
  state: string;
  severity: string;
  message: string | null;
  triggered_at: number;
  cleared_at: number | null;
  acknowledged_at: number | null;
  acknowledged_by: number | null;
  shelved_until: number | null;
  shelve_reason: string | null;
}

/** One alarm transition; `seq` increases by one per transition within a factory. */
export interface StreamAlarmDelta {
  seq: number;
  action: string;
  from_state: string | null;
  to_state: string;
  actor: string;
  comment: string | null;
  at: number;
  alarm: StreamAlarm;
}

export interface StreamValue {
  ts: number;
  value: number | string | boolean;
}

export type StreamServerMessage =
  | { type: 'ready'; user_id: number; factory_id: number; rate_hz: number; expires_at: number }
  | { type: 'subscribed'; devices: number[]; summary: boolean; alarms: boolean; alarm_seq: number }
  | { type: 'alarm'; delta: StreamAlarmDelta }
  /** Answer to alarm_resync: the missed deltas in order, or (when too many were missed) a snapshot of open alarms. */
  | { type: 'alarm_changes'; since: number; seq: number; deltas: StreamAlarmDelta[] }
  | { type: 'alarm_snapshot'; seq: number; open: StreamAlarm[] }
  | { type: 'samples'; devices: Record<string, Record<string, StreamValue>> }
  | { type: 'device_status'; device_id: number; status: 'online' | 'offline'; last_seen: number | null }
  | { type: 'summary'; data: Record<string, number> }
  | { type: 'error'; code: string; message: string }
  | { type: 'pong' };

/** WebSocket close codes used by the stream (4000–4999 are for applications). */
export const STREAM_CLOSE = {
  AUTH_FAILED: 4401,
  AUTH_TIMEOUT: 4408,
  TOKEN_EXPIRED: 4440,
  TOO_SLOW: 1013,
} as const;

export const MAX_STREAM_SUBSCRIPTIONS = 5000;
