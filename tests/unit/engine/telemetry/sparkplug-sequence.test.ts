import { describe, expect, it } from 'vitest';
import { parseTopic, SparkplugSequenceTracker } from '../../../../engine/telemetry/index.js';
import type { SparkplugPayload, SparkplugTopic } from '../../../../engine/telemetry/index.js';

const T0 = Date.UTC(2024, 4, 1, 12, 0, 0);

function topic(text: string): SparkplugTopic {
  const parsed = parseTopic(text);
  if (parsed?.kind !== 'sparkplug') throw new Error(`not a Sparkplug topic: ${text}`);
  return parsed;
}

const NBIRTH = topic('spBv1.0/g/NBIRTH/e1');
const NDATA = topic('spBv1.0/g/NDATA/e1');
const NDEATH = topic('spBv1.0/g/NDEATH/e1');
const NCMD = topic('spBv1.0/g/NCMD/e1');
const DBIRTH = topic('spBv1.0/g/DBIRTH/e1/d1');
const DDATA = topic('spBv1.0/g/DDATA/e1/d1');
const DDEATH = topic('spBv1.0/g/DDEATH/e1/d1');
const OTHER_NDATA = topic('spBv1.0/g/NDATA/e2');

function birth(bdSeq: number, seq = 0): SparkplugPayload {
  return {
    timestamp: T0,
    seq: { low: seq, high: 0, unsigned: true },
    metrics: [
      { name: 'bdSeq', type: 'Int64', value: { low: bdSeq, high: 0, unsigned: false } },
      { name: 'Node Control/Rebirth', type: 'Boolean', value: false },
    ],
  };
}

function data(seq: number): SparkplugPayload {
  return { timestamp: T0, seq, metrics: [{ alias: 1, value: 1 }] };
}

function death(bdSeq: number | null): SparkplugPayload {
  return { timestamp: T0, metrics: bdSeq === null ? [] : [{ name: 'bdSeq', type: 'Int64', value: bdSeq }] };
}

describe('SparkplugSequenceTracker: in-order sessions', () => {
  it('accepts NBIRTH then consecutive NDATA, DBIRTH, DDATA and DDEATH', () => {
    const tracker = new SparkplugSequenceTracker();
    expect(tracker.observe(NBIRTH, birth(0), T0)).toEqual({ accept: true, rebirth: false });
    expect(tracker.observe(DBIRTH, data(1), T0)).toEqual({ accept: true, rebirth: false });
    expect(tracker.observe(NDATA, data(2), T0)).toEqual({ accept: true, rebirth: false });
    expect(tracker.observe(DDATA, data(3), T0)).toEqual({ accept: true, rebirth: false });
    expect(tracker.observe(DDEATH, data(4), T0)).toEqual({ accept: true, rebirth: false });
    expect(tracker.snapshot('g', 'e1')).toEqual({ online: true, lastSeq: 4, bdSeq: 0, awaitingRebirth: false, devices: [] });
  });

  it('wraps from 255 to 0', () => {
    const tracker = new SparkplugSequenceTracker();
    tracker.observe(NBIRTH, birth(0), T0);
    for (let seq = 1; seq <= 255; seq++) {
      expect(tracker.observe(NDATA, data(seq), T0).accept).toBe(true);
    }
    expect(tracker.observe(NDATA, data(0), T0)).toEqual({ accept: true, rebirth: false });
    expect(tracker.observe(NDATA, data(1), T0)).toEqual({ accept: true, rebirth: false });
  });

  it('keeps edge nodes independent', () => {
    const tracker = new SparkplugSequenceTracker();
    tracker.observe(NBIRTH, birth(0), T0);
    expect(tracker.observe(OTHER_NDATA, data(1), T0).rebirth).toBe(true);
    expect(tracker.observe(NDATA, data(1), T0).accept).toBe(true);
  });

  it('treats NCMD and DCMD as commands outside the sequence', () => {
    const tracker = new SparkplugSequenceTracker();
    tracker.observe(NBIRTH, birth(0), T0);
    expect(tracker.observe(NCMD, { timestamp: T0, metrics: [] }, T0)).toMatchObject({ accept: false, rebirth: false });
    expect(tracker.observe(NDATA, data(1), T0).accept).toBe(true);
  });
});

describe('SparkplugSequenceTracker: rebirth requests', () => {
  it('asks for a rebirth on a message before any NBIRTH', () => {
    const tracker = new SparkplugSequenceTracker();
    const verdict = tracker.observe(NDATA, data(17), T0);
    expect(verdict).toMatchObject({ accept: false, rebirth: true });
    expect(verdict.reason).toContain('before any NBIRTH');
  });

  it('asks for a rebirth on a sequence gap and refuses data until the next NBIRTH', () => {
    const tracker = new SparkplugSequenceTracker();
    tracker.observe(NBIRTH, birth(0), T0);
    tracker.observe(NDATA, data(1), T0);
    const gap = tracker.observe(NDATA, data(3), T0);
    expect(gap).toMatchObject({ accept: false, rebirth: true });
    expect(gap.reason).toContain('expected seq 2, got seq 3');
    // Even the "right" next number is refused: what happened in between is unknown.
    expect(tracker.observe(NDATA, data(4), T0 + 10)).toMatchObject({ accept: false, rebirth: false });
    expect(tracker.observe(NBIRTH, birth(0), T0 + 20)).toEqual({ accept: true, rebirth: false });
    expect(tracker.observe(NDATA, data(1), T0 + 30)).toEqual({ accept: true, rebirth: false });
  });

  it('asks for a rebirth when 255 is followed by anything but 0', () => {
    const tracker = new SparkplugSequenceTracker();
    tracker.observe(NBIRTH, birth(0, 254), T0);
    expect(tracker.observe(NDATA, data(255), T0).accept).toBe(true);
    expect(tracker.observe(NDATA, data(256), T0)).toMatchObject({ accept: false, rebirth: true });
  });

  it('asks for a rebirth on a missing or out-of-range seq', () => {
    const tracker = new SparkplugSequenceTracker();
    tracker.observe(NBIRTH, birth(0), T0);
    expect(tracker.observe(NDATA, { timestamp: T0, metrics: [] }, T0)).toMatchObject({ accept: false, rebirth: true });
    const fresh = new SparkplugSequenceTracker();
    expect(fresh.observe(NBIRTH, { ...birth(0), seq: 300 }, T0)).toMatchObject({ accept: false, rebirth: true });
  });

  it('repeats the rebirth request only after rebirthRetryMs', () => {
    const tracker = new SparkplugSequenceTracker({ rebirthRetryMs: 5_000 });
    expect(tracker.observe(NDATA, data(5), T0).rebirth).toBe(true);
    expect(tracker.observe(NDATA, data(6), T0 + 4_999).rebirth).toBe(false);
    expect(tracker.observe(NDATA, data(7), T0 + 5_000).rebirth).toBe(true);
  });

  it('asks for a rebirth on DDATA from a device without a DBIRTH, but keeps the node in sequence', () => {
    const tracker = new SparkplugSequenceTracker();
    tracker.observe(NBIRTH, birth(0), T0);
    expect(tracker.observe(DDATA, data(1), T0)).toMatchObject({ accept: false, rebirth: true });
    expect(tracker.observe(NDATA, data(2), T0)).toEqual({ accept: true, rebirth: false });
  });

  it('asks for a rebirth on DBIRTH before NBIRTH', () => {
    const tracker = new SparkplugSequenceTracker();
    expect(tracker.observe(DBIRTH, data(1), T0)).toMatchObject({ accept: false, rebirth: true });
  });
});

describe('SparkplugSequenceTracker: NDEATH', () => {
  it('accepts an NDEATH whose bdSeq matches the NBIRTH and lists the devices to mark offline', () => {
    const tracker = new SparkplugSequenceTracker();
    tracker.observe(NBIRTH, birth(4), T0);
    tracker.observe(DBIRTH, data(1), T0);
    expect(tracker.observe(NDEATH, death(4), T0)).toEqual({ accept: true, rebirth: false, offlineDevices: ['d1'] });
    expect(tracker.snapshot('g', 'e1')?.online).toBe(false);
    // Data after the death needs a new NBIRTH.
    expect(tracker.observe(NDATA, data(2), T0 + 10_000).rebirth).toBe(true);
  });

  it('ignores a stale NDEATH from an older session', () => {
    const tracker = new SparkplugSequenceTracker();
    tracker.observe(NBIRTH, birth(5), T0);
    const verdict = tracker.observe(NDEATH, death(4), T0);
    expect(verdict).toMatchObject({ accept: false, rebirth: false });
    expect(verdict.reason).toContain('stale NDEATH');
    expect(tracker.observe(NDATA, data(1), T0)).toEqual({ accept: true, rebirth: false });
  });

  it('ignores an NDEATH without bdSeq when the NBIRTH had one', () => {
    const tracker = new SparkplugSequenceTracker();
    tracker.observe(NBIRTH, birth(5), T0);
    expect(tracker.observe(NDEATH, death(null), T0).accept).toBe(false);
  });

  it('ignores an NDEATH for a node with no live session', () => {
    const tracker = new SparkplugSequenceTracker();
    expect(tracker.observe(NDEATH, death(0), T0)).toMatchObject({ accept: false, rebirth: false });
  });

  it('matches a Long-like bdSeq against a plain number', () => {
    const tracker = new SparkplugSequenceTracker();
    tracker.observe(NBIRTH, birth(200), T0);
    const longDeath: SparkplugPayload = {
      metrics: [{ name: 'bdSeq', type: 'Int64', value: { low: 200, high: 0, unsigned: true } }],
    };
    expect(tracker.observe(NDEATH, longDeath, T0).accept).toBe(true);
  });
});

describe('SparkplugSequenceTracker: bookkeeping', () => {
  it('forgets a node on request', () => {
    const tracker = new SparkplugSequenceTracker();
    tracker.observe(NBIRTH, birth(0), T0);
    expect(tracker.size).toBe(1);
    tracker.forget('g', 'e1');
    expect(tracker.snapshot('g', 'e1')).toBeUndefined();
    expect(tracker.size).toBe(0);
  });
});
