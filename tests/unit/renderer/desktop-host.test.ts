/**
 * The desktop shell's optional calls as the renderer uses them: detected one by one (a browser
 * has none, an older shell may lack one), one OS notification per new critical alarm that is
 * still open (live or recovered after a reconnect, never the history of the first sync), the
 * tray told each change of connection state once, and a clicked notification opening the alarm.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AlarmNotice, ConnectionState } from '../../../engine/contract/ipc.js';
import { AlarmNoticeSchema } from '../../../engine/contract/ipc.js';
import type { StreamAlarm, StreamAlarmDelta } from '../../../engine/contract/stream.js';
import Value from 'typebox/value';
import { bindDesktopIntegration } from '../../../renderer/src/app/desktop-integration.js';
import { alarmNoticeOf, connectionStateOf, desktopCallsOf, isNewCriticalRaise, OncePerAlarm } from '../../../renderer/src/lib/desktop-host.js';
import { alarmFocusStore } from '../../../renderer/src/stores/alarm-focus-store.js';
import { markAlarmLinkLost, receiveChanges, receiveDelta, receiveSubscribed, resetAlarms } from '../../../renderer/src/stores/alarm-store.js';
import { linkStore } from '../../../renderer/src/stores/link-store.js';
import { sessionStore } from '../../../renderer/src/stores/session-store.js';

function alarm(id: number, severity: string, state = 'active_unacknowledged', message: string | null = `alarm ${id}`): StreamAlarm {
  return { id, rule_id: 1, device_id: 3, state, severity, message, triggered_at: 1000, cleared_at: null, acknowledged_at: null, acknowledged_by: null, shelved_until: null, shelve_reason: null };
}

function delta(seq: number, a: StreamAlarm, action = 'raised'): StreamAlarmDelta {
  return { seq, action, from_state: null, to_state: a.state, actor: 'system', comment: null, at: 1000, alarm: a };
}

describe('desktopCallsOf', () => {
  it('finds nothing in a browser and only the functions a shell really offers', () => {
    expect(desktopCallsOf(undefined)).toEqual({});
    expect(desktopCallsOf({ bridgeVersion: 1, notifyAlarm: 'not a function' })).toEqual({});
    const calls = desktopCallsOf({ reportConnection: async () => {} });
    expect(Object.keys(calls)).toEqual(['reportConnection']);
  });

  it('calls through the bridge object', async () => {
    const seen: unknown[] = [];
    const bridge = {
      prefix: 'tray',
      async reportConnection(this: { prefix: string }, state: ConnectionState) {
        seen.push(`${this.prefix}:${state}`);
      },
    };
    await desktopCallsOf(bridge).reportConnection?.('online');
    expect(seen).toEqual(['tray:online']);
  });
});

describe('what interrupts the person', () => {
  it('is a raise of a critical alarm that is still open', () => {
    expect(isNewCriticalRaise(delta(1, alarm(1, 'critical')), true)).toBe(true);
    expect(isNewCriticalRaise(delta(1, alarm(1, 'critical')), false)).toBe(false);
    expect(isNewCriticalRaise(delta(1, alarm(1, 'high')), true)).toBe(false);
    expect(isNewCriticalRaise(delta(2, alarm(1, 'critical', 'active_acknowledged'), 'acknowledged'), true)).toBe(false);
    expect(isNewCriticalRaise(delta(2, alarm(1, 'critical'), 'reactivated'), true)).toBe(false);
  });

  it('builds a notice the IPC contract accepts, even from a long multi-line message', () => {
    const notice = alarmNoticeOf(delta(1, alarm(9, 'critical', 'active_unacknowledged', `line one\nline two ${'x'.repeat(600)}`)), 'Press 1');
    expect(notice).toMatchObject({ alarmId: 9, severity: 'critical', title: 'Press 1' });
    expect(notice.body.startsWith('line one line two')).toBe(true);
    expect(notice.body.length).toBe(500);
    expect(Value.Check(AlarmNoticeSchema, notice)).toBe(true);
    const bare = alarmNoticeOf(delta(1, alarm(9, 'critical', 'active_unacknowledged', null)), '');
    expect(bare).toMatchObject({ title: 'Device 3', body: 'Alarm raised' });
    expect(Value.Check(AlarmNoticeSchema, bare)).toBe(true);
  });

  it('remembers each alarm once, within a bounded memory', () => {
    const once = new OncePerAlarm(2);
    expect([once.first(1), once.first(1), once.first(2), once.first(3)]).toEqual([true, false, true, true]);
    // 1 was forgotten to keep the memory bounded; 3 is still known.
    expect([once.first(3), once.first(1)]).toEqual([false, true]);
  });
});

describe('connectionStateOf', () => {
  it('maps the session and the stream to the tray states', () => {
    expect(connectionStateOf('signed_out', 'idle')).toBe('signed-out');
    expect(connectionStateOf('waiting', 'idle')).toBe('offline');
    expect(connectionStateOf('starting', 'idle')).toBe('connecting');
    expect(connectionStateOf('signed_in', 'idle')).toBe('connecting');
    expect(connectionStateOf('signed_in', 'connecting')).toBe('connecting');
    expect(connectionStateOf('signed_in', 'open')).toBe('online');
    expect(connectionStateOf('signed_in', 'down')).toBe('offline');
  });
});

describe('bindDesktopIntegration with the real stores', () => {
  const notices: AlarmNotice[] = [];
  const states: ConnectionState[] = [];
  let focusListener: ((alarmId: number) => void) | null = null;
  const location = { hash: '#/overview' };

  beforeEach(() => {
    vi.stubGlobal('window', { location });
    resetAlarms();
    sessionStore.setState({ phase: 'signed_out' });
    linkStore.setState({ state: 'idle' });
  });
  afterEach(() => vi.unstubAllGlobals());

  // Bound once, like main.tsx does; the stores are module singletons.
  bindDesktopIntegration(
    {
      notifyAlarm: async (notice) => void notices.push(notice),
      reportConnection: async (state) => void states.push(state),
      onAlarmFocus: (listener) => {
        focusListener = listener;
        return () => {};
      },
    },
    { wall: false },
  );

  it('reports each change of connection state once', () => {
    states.length = 0;
    sessionStore.setState({ phase: 'signed_in' });
    linkStore.setState({ state: 'connecting' });
    linkStore.setState({ state: 'connecting', attempt: 1 });
    linkStore.setState({ state: 'open' });
    linkStore.setState({ state: 'down' });
    linkStore.setState({ state: 'open' });
    sessionStore.setState({ phase: 'signed_out' });
    expect(states).toEqual(['connecting', 'online', 'offline', 'online', 'signed-out']);
  });

  it('notifies once per new critical alarm: live and recovered after a reconnect, not the first sync', () => {
    notices.length = 0;
    // First sync after sign-in: alarm 1 was raised before this console existed.
    expect(receiveSubscribed(1)).toBe(0);
    receiveChanges([delta(1, alarm(1, 'critical'))], 1);
    expect(notices).toEqual([]);
    // Live: a critical raise notifies, a high one and an acknowledgement do not.
    receiveDelta(delta(2, alarm(2, 'critical')));
    receiveDelta(delta(3, alarm(3, 'high')));
    receiveDelta(delta(4, alarm(2, 'critical', 'active_acknowledged'), 'acknowledged'));
    expect(notices.map((n) => n.alarmId)).toEqual([2]);
    // The link drops; meanwhile alarm 5 was raised (still open) and alarm 6 raised and closed.
    markAlarmLinkLost();
    expect(receiveSubscribed(8)).toBe(4);
    receiveChanges([delta(5, alarm(5, 'critical')), delta(6, alarm(6, 'critical')), delta(7, alarm(6, 'critical', 'shelved'), 'shelved'), delta(8, alarm(6, 'critical', 'normal'), 'unshelved')], 8);
    expect(notices.map((n) => n.alarmId)).toEqual([2, 5]);
  });

  it('opens the alarm console on the alarm when a notification is clicked', () => {
    expect(focusListener).not.toBeNull();
    focusListener?.(42);
    expect(location.hash).toBe('#/alarms');
    expect(alarmFocusStore.getState().request?.alarmId).toBe(42);
  });
});
