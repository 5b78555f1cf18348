/**
 * The desktop shell's extra calls (engine/contract/ipc.ts `DesktopBridge`) as the renderer
 * uses them: an OS notification for each new critical alarm, the stream's state for the tray,
 * and "show this alarm" when a notification is clicked. Each call is feature-detected on its
 * own: a browser has none of them, and an older shell may lack a newer one; the console works
 * the same either way. Pure functions here; app/desktop-integration.ts wires them to the stores.
 */
import type { StreamAlarmDelta } from '../../../engine/contract/stream.js';
import type { AlarmNotice, ConnectionState, DesktopBridge } from '../../../engine/contract/ipc.js';
import type { LinkState } from '../api/stream-client.js';

export type DesktopCalls = Partial<Pick<DesktopBridge, 'notifyAlarm' | 'reportConnection' | 'onAlarmFocus'>>;

/** The optional calls the bridge really offers (functions only; anything else is ignored). */
export function desktopCallsOf(bridge: unknown): DesktopCalls {
  if (typeof bridge !== 'object' || bridge === null) return {};
  const b = bridge as Record<string, unknown>;
  const calls: DesktopCalls = {};
  // Called through the bridge object: contextBridge functions do not need `this`, but a
  // plain object standing in for it may.
  if (typeof b.notifyAlarm === 'function') calls.notifyAlarm = (notice) => (b.notifyAlarm as DesktopBridge['notifyAlarm']).call(bridge, notice);
  if (typeof b.reportConnection === 'function') calls.reportConnection = (state) => (b.reportConnection as DesktopBridge['reportConnection']).call(bridge, state);
  if (typeof b.onAlarmFocus === 'function') calls.onAlarmFocus = (listener) => (b.onAlarmFocus as DesktopBridge['onAlarmFocus']).call(bridge, listener);
  return calls;
}

/** A raise of a critical alarm that is still open: what interrupts the person (beep, toast, OS notification). */
export function isNewCriticalRaise(delta: StreamAlarmDelta, stillOpen: boolean): boolean {
  return delta.action === 'raised' && delta.alarm.severity === 'critical' && stillOpen;
}

// The IPC contract's limits (AlarmNoticeSchema: Text(200), Text(500, 0)); main refuses longer text.
const TITLE_MAX = 200;
const BODY_MAX = 500;

/** Control characters (a newline in a rule message) are refused by the contract: spaces instead. */
function oneLine(text: string, max: number): string {
  // eslint-disable-next-line no-control-regex -- exactly the characters the contract refuses
  const clean = text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return clean.length <= max ? clean : `${clean.slice(0, max - 1)}…`;
}

/** The notice for the shell: the device as title (main prefixes "Critical alarm:"), the message as body. */
export function alarmNoticeOf(delta: StreamAlarmDelta, deviceName: string): AlarmNotice {
  const alarm = delta.alarm;
  return {
    alarmId: alarm.id,
    severity: alarm.severity as AlarmNotice['severity'],
    title: oneLine(deviceName, TITLE_MAX) || `Device ${alarm.device_id}`,
    body: oneLine(alarm.message ?? 'Alarm raised', BODY_MAX),
  };
}

/** Remembers which alarms were already announced, so each is announced once (bounded memory). */
export class OncePerAlarm {
  private readonly seen = new Set<number>();

  constructor(private readonly remember = 2000) {}

  /** True the first time an alarm id is offered. */
  first(alarmId: number): boolean {
    if (this.seen.has(alarmId)) return false;
    this.seen.add(alarmId);
    if (this.seen.size > this.remember) this.seen.delete(this.seen.values().next().value as number);
    return true;
  }

  clear(): void {
    this.seen.clear();
  }
}

export type SessionPhaseLike = 'starting' | 'waiting' | 'signed_out' | 'signed_in';

/** What the tray shows: the stream's state while signed in, otherwise why there is no stream. */
export function connectionStateOf(phase: SessionPhaseLike, link: LinkState): ConnectionState {
  switch (phase) {
    case 'signed_out':
      return 'signed-out';
    case 'waiting':
      return 'offline';
    case 'starting':
      return 'connecting';
    default:
      return link === 'open' ? 'online' : link === 'down' ? 'offline' : 'connecting';
  }
}
