/**
 * Ties the stream to the stores for the signed-in session: opens the stream on sign-in,
 * routes every message to its store, keeps the alarm list in sequence, re-authenticates the
 * socket with each fresh access token, and tears everything down on sign-out. Every device
 * of the factory is subscribed; the server answers each subscription (after sign-in, after a
 * reconnect, for a device added later) with the device's stored latest values, so the console
 * shows current values at once without a REST read per device.
 */
import type { StreamServerMessage } from '../../../engine/contract/stream.js';
import { StreamClient } from '../api/stream-client';
import { transport } from '../api/transport';
import { markAlarmLinkLost, receiveChanges, receiveDelta, receiveSnapshot, receiveSubscribed, resetAlarms } from './alarm-store';
import { devicesStore, loadDevices, resetDevices } from './devices-store';
import { linkStore } from './link-store';
import { resetParameters } from './parameters-store';
import { resetRules } from './rules-store';
import { applyDeviceStatus, applySamples, applySummary, resetLive } from './live-store';
import { freshAccessToken, onAccessToken, refreshNow, sessionStore } from './session-store';

let client: StreamClient | null = null;
let cleanups: Array<() => void> = [];

function resync(since: number | null): void {
  if (since !== null) client?.send({ type: 'alarm_resync', since });
}

function onMessage(message: StreamServerMessage): void {
  switch (message.type) {
    case 'samples':
      applySamples(message.devices);
      return;
    case 'summary':
      applySummary(message.data);
      return;
    case 'device_status':
      applyDeviceStatus(message.device_id, message.status, message.last_seen);
      return;
    case 'subscribed':
      if (message.alarms) resync(receiveSubscribed(message.alarm_seq));
      return;
    case 'alarm':
      resync(receiveDelta(message.delta));
      return;
    case 'alarm_changes':
      resync(receiveChanges(message.deltas, message.seq));
      return;
    case 'alarm_snapshot':
      resync(receiveSnapshot(message.open, message.seq));
      return;
    default:
      return;
  }
}

/** The shared stream of this session (null when signed out). */
export function liveStream(): StreamClient | null {
  return client;
}

function start(): void {
  if (client) return;
  const stream = new StreamClient({
    url: () => transport().streamUrl(),
    token: freshAccessToken,
    events: {
      message: onMessage,
      // Current values need no read of their own: every subscribe (the first, each reconnect's,
      // and a newly listed device's) makes the server push the device's stored latest values.
      ready: () => {},
      status: (status) => {
        if (status.state !== 'open') markAlarmLinkLost();
        linkStore.setState(status);
      },
      // The server refused the token outright: a refresh tells whether the session still exists.
      authRejected: () => void refreshNow(),
    },
  });
  client = stream;
  stream.setSummary(true);
  stream.setAlarms(true);
  cleanups.push(onAccessToken((token) => stream.reauthenticate(token)));
  // The control room watches every device: the overview grid, machine list and alarm badges
  // all show live state. Newly created devices are added as the list changes.
  let release: (() => void) | null = null;
  const watchAll = () => {
    const ids = devicesStore.getState().list.map((d) => d.id);
    const previous = release;
    release = stream.watchDevices(ids);
    previous?.();
  };
  cleanups.push(devicesStore.subscribe((s, prev) => s.list !== prev.list && watchAll()));
  cleanups.push(() => release?.());
  stream.start();
  void loadDevices();
  // Waking from sleep or regaining the network: try at once instead of waiting out the backoff.
  const wake = () => {
    if (linkStore.getState().state !== 'open') stream.reconnectNow();
  };
  window.addEventListener('online', wake);
  cleanups.push(() => window.removeEventListener('online', wake));
}

function stop(): void {
  client?.stop();
  client = null;
  for (const cleanup of cleanups) cleanup();
  cleanups = [];
  resetLive();
  resetAlarms();
  resetDevices();
  resetParameters();
  resetRules();
}

/** Starts and stops the live session with the sign-in state. Call once at start-up. */
export function bindLiveSession(): void {
  let signedIn = false;
  const apply = () => {
    const now = sessionStore.getState().phase === 'signed_in';
    if (now === signedIn) return;
    signedIn = now;
    if (now) start();
    else stop();
  };
  sessionStore.subscribe(apply);
  apply();
}
