// Sparkplug session and sequence tracking, per edge node, from the host application's side.
//
// Every message an edge node publishes after its NBIRTH carries `seq`, one more than the
// previous message's, wrapping 255 -> 0 [tck-id-payloads-sequence-num-incrementing]
// [tck-id-payloads-ndata-seq-inc] [tck-id-payloads-dbirth-seq-inc] [tck-id-payloads-ddata-seq-inc]
// [tck-id-payloads-ddeath-seq-inc]. A gap means we missed a message: possibly a BIRTH that
// redefined aliases, so nothing from the node can be trusted until it rebirths. The verdict
// then says `rebirth: true` and the server sends NCMD `Node Control/Rebirth`
// (rebirthCommandMetrics) [tck-id-operational-behavior-host-reordering-rebirth].
//
// The spec lets a host wait a "Reorder Timeout" for late messages before asking
// [tck-id-operational-behavior-host-reordering-param]; this tracker uses a timeout of zero (one
// broker over TCP does not reorder one client's messages), so a gap asks at once.
//
// Rebirth requests are rate-limited per node (`rebirthRetryMs`): while the node has not
// rebirthed, its messages keep being refused, but only one NCMD per interval is asked for, so
// a lost NCMD is retried and a broken node is not flooded.

import type { SparkplugTopic } from './topic.js';
import { BD_SEQ_METRIC, toNumber } from './sparkplug.js';
import type { SparkplugMetric, SparkplugPayload } from './sparkplug.js';

export interface SequenceVerdict {
  /** Use this message: store its samples, apply its BIRTH/DEATH to node and device state. */
  accept: boolean;
  /** Send NCMD `Node Control/Rebirth` to this edge node now. */
  rebirth: boolean;
  /** Why the message was refused or a rebirth is asked for; absent when all is well. */
  reason?: string;
  /**
   * After an accepted NDEATH: the devices that were online under the node, which the host
   * MUST now mark offline [tck-id-operational-behavior-edge-node-termination-host-action-ndeath-devices-offline].
   */
  offlineDevices?: string[];
}

export interface SequenceTrackerOptions {
  /** Least time between two rebirth requests to the same edge node. */
  rebirthRetryMs: number;
}

export const DEFAULT_SEQUENCE_TRACKER_OPTIONS: Readonly<SequenceTrackerOptions> = Object.freeze({
  rebirthRetryMs: 5_000,
});

/** A read-only view of one edge node's session, for diagnostics and tests. */
export interface EdgeNodeSessionSnapshot {
  online: boolean;
  lastSeq: number | null;
  bdSeq: number | null;
  awaitingRebirth: boolean;
  devices: string[];
}

interface EdgeNodeSession {
  /** An NBIRTH was accepted and no matching NDEATH has come since. */
  online: boolean;
  lastSeq: number | null;
  /** The bdSeq metric of the NBIRTH that opened this session (null if it had none). */
  bdSeq: number | null;
  /** Devices with a DBIRTH in this session and no DDEATH since. */
  devices: Set<string>;
  /** A gap or bad seq was seen; refuse everything until the next NBIRTH. */
  awaitingRebirth: boolean;
  /** `now` of the last verdict that asked for a rebirth. */
  lastRebirthRequest: number | null;
}

export class SparkplugSequenceTracker {
  readonly #sessions = new Map<string, EdgeNodeSession>();
  readonly #options: SequenceTrackerOptions;

  constructor(options: SequenceTrackerOptions = DEFAULT_SEQUENCE_TRACKER_OPTIONS) {
    this.#options = options;
  }

  /**
   * Judges one message of an edge node, in arrival order, and updates the node's session.
   * Call it before mapping metrics; use the metrics only when `accept` is true.
   */
  observe(topic: SparkplugTopic, payload: SparkplugPayload, now: number): SequenceVerdict {
    const id = sessionId(topic.group, topic.edgeNode);
    switch (topic.messageType) {
      case 'NCMD':
      case 'DCMD':
        // Commands come from host applications and carry no seq [tck-id-payloads-ncmd-seq]
        // [tck-id-payloads-dcmd-seq]; they are not part of the node's sequence.
        return { accept: false, rebirth: false, reason: `${topic.messageType} is a command, not edge node data` };
      case 'NBIRTH':
        return this.#birth(id, payload, now);
      case 'NDEATH':
        return this.#death(id, payload);
      default:
        return this.#inSession(id, topic, payload, now);
    }
  }

  /** Drops what is known about an edge node (e.g. when its device record is deleted). */
  forget(group: string, edgeNode: string): void {
    this.#sessions.delete(sessionId(group, edgeNode));
  }

  snapshot(group: string, edgeNode: string): EdgeNodeSessionSnapshot | undefined {
    const session = this.#sessions.get(sessionId(group, edgeNode));
    if (session === undefined) return undefined;
    return {
      online: session.online,
      lastSeq: session.lastSeq,
      bdSeq: session.bdSeq,
      awaitingRebirth: session.awaitingRebirth,
      devices: [...session.devices],
    };
  }

  /** Number of edge nodes tracked (for metrics/gauges). */
  get size(): number {
    return this.#sessions.size;
  }

  #birth(id: string, payload: SparkplugPayload, now: number): SequenceVerdict {
    // NBIRTH seq MUST be present and 0..255 [tck-id-payloads-nbirth-seq]; it SHOULD be 0
    // [tck-id-payloads-sequence-num-zero-nbirth], but any valid value starts the count.
    const seq = readSeq(payload);
    if (seq === null) {
      const session = this.#sessionFor(id);
      session.online = false;
      session.awaitingRebirth = true;
      return this.#askRebirth(session, now, 'NBIRTH has no valid seq (0-255)');
    }
    // A fresh session: replaces whatever was known, including a pending rebirth request.
    this.#sessions.set(id, {
      online: true,
      lastSeq: seq,
      // [tck-id-payloads-nbirth-bdseq]: remembered to match the session's NDEATH later.
      bdSeq: readBdSeq(payload.metrics),
      devices: new Set(),
      awaitingRebirth: false,
      lastRebirthRequest: null,
    });
    return { accept: true, rebirth: false };
  }

  #death(id: string, payload: SparkplugPayload): SequenceVerdict {
    // NDEATH carries no seq [tck-id-payloads-ndeath-seq]; it is tied to its session by the
    // bdSeq metric, which MUST equal the NBIRTH's [tck-id-payloads-ndeath-bdseq]. The broker
    // publishes an old connection's Will late, after the node has already reconnected and
    // rebirthed: that NDEATH carries the old bdSeq and must not take the new session down.
    const session = this.#sessions.get(id);
    if (session === undefined || !session.online) {
      return { accept: false, rebirth: false, reason: 'NDEATH for an edge node with no live session' };
    }
    const bdSeq = readBdSeq(payload.metrics);
    if (bdSeq !== session.bdSeq) {
      return {
        accept: false,
        rebirth: false,
        reason: `stale NDEATH: bdSeq ${String(bdSeq)} does not match the session's ${String(session.bdSeq)}`,
      };
    }
    const offlineDevices = [...session.devices];
    session.online = false;
    session.devices.clear();
    session.awaitingRebirth = false;
    return { accept: true, rebirth: false, offlineDevices };
  }

  #inSession(id: string, topic: SparkplugTopic, payload: SparkplugPayload, now: number): SequenceVerdict {
    const session = this.#sessionFor(id);
    if (!session.online) {
      // No NBIRTH in this session (we started after it, or the node died): aliases and
      // datatypes are unknown [tck-id-message-flow-device-birth-publish-nbirth-wait].
      return this.#askRebirth(session, now, `${topic.messageType} before any NBIRTH of this session`);
    }
    if (session.awaitingRebirth) {
      return this.#askRebirth(session, now, `${topic.messageType} refused: waiting for NBIRTH after a sequence error`);
    }
    // Every message but NDEATH carries seq [tck-id-payloads-sequence-num-always-included].
    const seq = readSeq(payload);
    const expected = ((session.lastSeq ?? 0) + 1) & 0xff;
    if (seq !== expected) {
      session.awaitingRebirth = true;
      const got = seq === null ? 'no valid seq' : `seq ${seq}`;
      return this.#askRebirth(session, now, `sequence gap on ${topic.messageType}: expected seq ${expected}, got ${got}`);
    }
    session.lastSeq = seq;

    const device = topic.device;
    if (topic.messageType === 'DBIRTH' && device !== undefined) {
      session.devices.add(device);
    } else if (topic.messageType === 'DDEATH' && device !== undefined) {
      session.devices.delete(device);
    } else if (topic.messageType === 'DDATA' && device !== undefined && !session.devices.has(device)) {
      // In sequence, but for a device without a DBIRTH in this session: its metrics are
      // undefined. The sequence itself is fine, so other messages keep flowing.
      return this.#askRebirth(session, now, 'DDATA for a device without a DBIRTH in this session');
    }
    return { accept: true, rebirth: false };
  }

  #sessionFor(id: string): EdgeNodeSession {
    let session = this.#sessions.get(id);
    if (session === undefined) {
      session = {
        online: false,
        lastSeq: null,
        bdSeq: null,
        devices: new Set(),
        awaitingRebirth: false,
        lastRebirthRequest: null,
      };
      this.#sessions.set(id, session);
    }
    return session;
  }

  #askRebirth(session: EdgeNodeSession, now: number, reason: string): SequenceVerdict {
    const due =
      session.lastRebirthRequest === null || now - session.lastRebirthRequest >= this.#options.rebirthRetryMs;
    if (due) session.lastRebirthRequest = now;
    return { accept: false, rebirth: due, reason };
  }
}

function sessionId(group: string, edgeNode: string): string {
  // Sparkplug ids cannot contain `/`, so the key is unambiguous.
  return `${group}/${edgeNode}`;
}

/** The payload's seq if it is an integer 0..255, else null. */
function readSeq(payload: SparkplugPayload): number | null {
  if (payload.seq === undefined || payload.seq === null) return null;
  const seq = toNumber(payload.seq);
  return Number.isInteger(seq) && seq >= 0 && seq <= 255 ? seq : null;
}

/** The value of the `bdSeq` metric if present and a non-negative integer, else null. */
function readBdSeq(metrics: readonly SparkplugMetric[] | null | undefined): number | null {
  if (metrics === undefined || metrics === null) return null;
  for (let i = 0; i < metrics.length; i++) {
    const metric = metrics[i] as SparkplugMetric;
    if (metric.name !== BD_SEQ_METRIC) continue;
    const value = toNumber(metric.value);
    return Number.isSafeInteger(value) && value >= 0 ? value : null;
  }
  return null;
}
