/**
 * Sparkplug B ingest against the real pieces: SQLite MetaStore and SeriesStore on temp files,
 * the real pipeline and bus, and (last suite) the embedded broker with Eclipse Tahu's
 * sparkplug-client publishing.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pako from 'pako';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import SparkplugClient from 'sparkplug-client';
import { get as getCodec } from 'sparkplug-payload';
import type { UPayload } from 'sparkplug-payload/lib/sparkplugbpayload.js';
import protoRoot from 'sparkplug-payload/lib/sparkplugPayloadProto.js';
import type { org } from 'sparkplug-payload/lib/sparkplugPayloadProto.js';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseTopic } from '../../../engine/telemetry/topic.js';
import { sha256Hex } from '../../../server/auth/secrets.js';
import { DeviceAuthenticator, type DeviceSession } from '../../../server/ingest/device-auth.js';
import { DeviceDirectory } from '../../../server/ingest/device-directory.js';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../../server/ingest/embedded-broker.js';
import { DEFAULT_PIPELINE_OPTIONS, IngestPipeline } from '../../../server/ingest/pipeline.js';
import { SparkplugIngest, type SparkplugIngestOptions } from '../../../server/ingest/sparkplug-ingest.js';
import { createIngestMetrics, type IngestMetrics } from '../../../server/observe/metrics.js';
import { createMemoryBus } from '../../../server/store/bus/live-bus.js';
import { openMetaStore, type MetaStore } from '../../../server/store/meta/meta-store.js';
import type { Factory } from '../../../server/store/meta/models.js';
import { openSqliteSeriesStore, type SqliteSeriesStore } from '../../../server/store/series/sqlite/sqlite-series-store.js';

const codec = getCodec('spBv1.0') ?? (() => { throw new Error('no spBv1.0 codec'); })();
const { Payload } = protoRoot.org.eclipse.tahu.protobuf;
const logger = pino({ level: process.env.SPARKPLUG_TEST_LOG ?? 'silent' });
const SLUG = 'plant-1';
const NODE = 'edge1';

interface Harness {
  dir: string;
  meta: MetaStore;
  series: SqliteSeriesStore;
  metrics: IngestMetrics;
  directory: DeviceDirectory;
  pipeline: IngestPipeline;
  factory: Factory;
  nodeId: number;
  session: DeviceSession;
  commands: Array<{ topic: string; payload: Buffer }>;
  offline: Array<[number, number]>;
  ingest: SparkplugIngest;
  clock: { now: number };
}

async function createHarness(options: Partial<SparkplugIngestOptions> = {}): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'fo-sparkplug-'));
  const clock = { now: Date.now() };
  const meta = await openMetaStore({ kind: 'sqlite', file: join(dir, 'meta.db') });
  const series = openSqliteSeriesStore({ file: join(dir, 'series.db') });
  const metrics = createIngestMetrics(new Registry());
  const directory = new DeviceDirectory(meta, () => clock.now);
  const pipeline = new IngestPipeline(series, meta, directory, createMemoryBus(), metrics, logger, { ...DEFAULT_PIPELINE_OPTIONS, flushIntervalMs: 1 });
  const factory = await meta.factories.create({ slug: SLUG, name: 'Plant 1' }, clock.now);
  const node = await meta.devices.create(factory.id, { deviceKey: NODE }, clock.now);
  const known = await directory.device(factory.id, NODE);
  if (!known) throw new Error('node device not found');
  const session: DeviceSession = { factory: { id: factory.id, slug: SLUG, timezone: 'UTC' }, deviceKey: NODE, device: known, viaProvisioningKey: false };
  const commands: Harness['commands'] = [];
  const offline: Harness['offline'] = [];
  const ingest = new SparkplugIngest({
    pipeline,
    directory,
    meta,
    metrics,
    logger,
    clock: () => clock.now,
    publishCommand: async (topic, payload) => {
      commands.push({ topic, payload });
    },
    onDeviceOffline: (factoryId, deviceId) => offline.push([factoryId, deviceId]),
    ...options,
  });
  return { dir, meta, series, metrics, directory, pipeline, factory, nodeId: node.id, session, commands, offline, ingest, clock };
}

async function destroyHarness(h: Harness): Promise<void> {
  await h.pipeline.close();
  await h.series.close();
  await h.meta.close();
  await rm(h.dir, { recursive: true, force: true });
}

/** Hands one message to the ingest; resolves with what done() was called with. */
function send(h: Harness, topicText: string, payload: UPayload | Uint8Array, qos = 1, session: DeviceSession | null = h.session): Promise<{ error: Error | undefined; calls: number }> {
  const topic = parseTopic(topicText);
  if (topic?.kind !== 'sparkplug') throw new Error(`not a Sparkplug topic: ${topicText}`);
  const bytes = payload instanceof Uint8Array ? Buffer.from(payload) : Buffer.from(codec.encodePayload(payload));
  return new Promise((resolve) => {
    let calls = 0;
    h.ingest.handle(session, topic, bytes, qos, (error) => {
      calls++;
      // Let a (wrong) second call show up before the test looks.
      setTimeout(() => resolve({ error, calls }), 5);
    });
  });
}

/** Hand-built protobuf: lets a test leave out what sparkplug-payload's encoder always writes. */
function rawPayload(payload: org.eclipse.tahu.protobuf.IPayload): Uint8Array {
  return Payload.encode(payload).finish();
}

async function latest(h: Harness, deviceKey: string): Promise<Record<string, { value: unknown; ts: number }>> {
  const device = await h.meta.devices.getByKey(h.factory.id, deviceKey);
  if (!device) throw new Error(`no device ${deviceKey}`);
  const rows = await h.series.latest(h.factory.id, device.id);
  return Object.fromEntries(rows.map((r) => [r.parameter, { value: r.value, ts: r.ts }]));
}

async function rejected(h: Harness, reason: string): Promise<number> {
  const metric = await h.metrics.rejected.get();
  return metric.values.filter((v) => v.labels.source === 'sparkplug' && v.labels.reason === reason).reduce((sum, v) => sum + v.value, 0);
}

function nbirth(h: Harness, seq: number, metrics: UPayload['metrics'], bdSeq = 0): UPayload {
  return {
    timestamp: h.clock.now - 1_000,
    seq,
    metrics: [
      { name: 'bdSeq', type: 'UInt64', value: bdSeq },
      { name: 'Node Control/Rebirth', type: 'Boolean', value: false },
      ...(metrics ?? []),
    ],
  };
}

describe('SparkplugIngest', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness();
  });
  afterEach(async () => {
    await destroyHarness(h);
  });

  it('stores alias-only NDATA under the metric names the NBIRTH declared', async () => {
    const t = h.clock.now - 500;
    const birth = await send(h, `spBv1.0/${SLUG}/NBIRTH/${NODE}`, nbirth(h, 0, [
      { name: 'Motor/Speed RPM', alias: 10, type: 'Int32', value: 1200 },
      { name: 'Line/Temp', alias: 11, type: 'Double', value: 20.5 },
    ]));
    expect(birth).toEqual({ error: undefined, calls: 1 });
    const data = await send(h, `spBv1.0/${SLUG}/NDATA/${NODE}`, {
      timestamp: t,
      seq: 1,
      metrics: [
        { alias: 10, type: 'Int32', value: 1250, timestamp: t - 100 },
        { alias: 11, type: 'Double', value: 21.25 },
      ] as UPayload['metrics'],
    });
    expect(data).toEqual({ error: undefined, calls: 1 });
    expect(await latest(h, NODE)).toEqual({
      'Motor/Speed RPM': { value: 1250, ts: t - 100 },
      'Line/Temp': { value: 21.25, ts: t },
    });
    // The pipeline discovers the parameters under their folder names.
    await vi.waitFor(async () => {
      const keys = (await h.meta.parameters.listForDevice(h.factory.id, h.nodeId)).map((p) => p.parameterKey);
      expect(keys.sort()).toEqual(['Line/Temp', 'Motor/Speed RPM']);
    });
    expect(h.commands).toHaveLength(0);
  });

  it('creates {node}.{device} on DBIRTH and stores its DDATA', async () => {
    await send(h, `spBv1.0/${SLUG}/NBIRTH/${NODE}`, nbirth(h, 0, []));
    await send(h, `spBv1.0/${SLUG}/DBIRTH/${NODE}/pump-1`, {
      timestamp: h.clock.now - 900,
      seq: 1,
      metrics: [{ name: 'Flow', alias: 1, type: 'Float', value: 1.5 }],
    });
    const created = await h.meta.devices.getByKey(h.factory.id, `${NODE}.pump-1`);
    expect(created?.isActive).toBe(true);
    await send(h, `spBv1.0/${SLUG}/DDATA/${NODE}/pump-1`, {
      timestamp: h.clock.now - 100,
      seq: 2,
      metrics: [{ alias: 1, type: 'Float', value: 2.5 }] as UPayload['metrics'],
    });
    expect(await latest(h, `${NODE}.pump-1`)).toEqual({ Flow: { value: 2.5, ts: h.clock.now - 100 } });
    // A second DBIRTH (rebirth) reuses the device.
    await send(h, `spBv1.0/${SLUG}/DBIRTH/${NODE}/pump-1`, { timestamp: h.clock.now, seq: 3, metrics: [{ name: 'Flow', alias: 1, type: 'Float', value: 3 }] });
    const devices = await h.meta.devices.listAll(h.factory.id);
    expect(devices.map((d) => d.deviceKey).sort()).toEqual([NODE, `${NODE}.pump-1`]);
  });

  it('stores 64-bit integers (Int64, UInt64, UInt32 above 2^31) as numbers', async () => {
    await send(h, `spBv1.0/${SLUG}/NBIRTH/${NODE}`, nbirth(h, 0, [
      { name: 'Energy Wh', alias: 1, type: 'UInt64', value: 9_007_199_254_740_000 },
      { name: 'Offset', alias: 2, type: 'Int64', value: -42 },
      { name: 'Counter', alias: 3, type: 'UInt32', value: 4_000_000_000 },
    ]));
    expect(await latest(h, NODE)).toMatchObject({
      'Energy Wh': { value: 9007199254740000 },
      Offset: { value: -42 },
      Counter: { value: 4_000_000_000 },
    });
  });

  it('decodes DATA metrics without a datatype by the datatypes their BIRTH declared', async () => {
    await send(h, `spBv1.0/${SLUG}/NBIRTH/${NODE}`, nbirth(h, 0, [
      { name: 'Speed', alias: 1, type: 'Int32', value: 0 },
      { name: 'Energy', alias: 2, type: 'UInt64', value: 0 },
      { name: 'Level', alias: 3, type: 'Float', value: 0 },
      { name: 'Running', alias: 4, type: 'Boolean', value: false },
      { name: 'Mode', type: 'String', value: 'idle' },
      { name: 'Trim', alias: 5, type: 'Int8', value: 0 },
      { name: 'Delta', alias: 6, type: 'Int64', value: 0 },
    ]));
    // Sparkplug 3.0 DATA: no datatype, alias or name only. sparkplug-payload's decodePayload
    // would return every one of these values as null.
    const bytes = rawPayload({
      timestamp: h.clock.now - 10,
      seq: 1,
      metrics: [
        { alias: 1, intValue: 1250 },
        { alias: 2, longValue: 5_000_000_000 },
        { alias: 3, floatValue: 0.5 },
        { alias: 4, booleanValue: true },
        { name: 'Mode', stringValue: 'auto' },
        { alias: 5, intValue: 0xfffffffb }, // -5 as Tahu writes an Int8
        { alias: 6, longValue: -7 }, // two's complement on the wire
      ],
    });
    expect(getCodec('spBv1.0')?.decodePayload(bytes).metrics?.[0]?.value).toBeNull();
    expect((await send(h, `spBv1.0/${SLUG}/NDATA/${NODE}`, bytes)).error).toBeUndefined();
    expect(await latest(h, NODE)).toMatchObject({
      Speed: { value: 1250 },
      Energy: { value: 5_000_000_000 },
      Level: { value: 0.5 },
      Running: { value: true },
      Mode: { value: 'auto' },
      Trim: { value: -5 },
      Delta: { value: -7 },
    });
    expect(h.commands).toHaveLength(0);
  });

  it('inflates compressed payloads (DEFLATE and GZIP) and refuses decompression bombs', async () => {
    const inner = codec.encodePayload(nbirth(h, 0, [{ name: 'Temp', alias: 1, type: 'Double', value: 19.5 }]));
    const deflated = { uuid: 'SPBV1.0_COMPRESSED', body: pako.deflate(inner), metrics: [] };
    expect((await send(h, `spBv1.0/${SLUG}/NBIRTH/${NODE}`, deflated)).error).toBeUndefined();
    expect(await latest(h, NODE)).toMatchObject({ Temp: { value: 19.5 } });

    const data = codec.encodePayload({ timestamp: h.clock.now, seq: 1, metrics: [{ alias: 1, type: 'Double', value: 20 }] as UPayload['metrics'] });
    const gzipped = { uuid: 'SPBV1.0_COMPRESSED', body: pako.gzip(data), metrics: [{ name: 'algorithm', type: 'String' as const, value: 'GZIP' }] };
    await send(h, `spBv1.0/${SLUG}/NDATA/${NODE}`, gzipped);
    expect(await latest(h, NODE)).toMatchObject({ Temp: { value: 20, ts: h.clock.now } });

    const bomb = { uuid: 'SPBV1.0_COMPRESSED', body: pako.deflate(new Uint8Array(4 * 1024 * 1024)), metrics: [] };
    expect(await send(h, `spBv1.0/${SLUG}/NDATA/${NODE}`, bomb)).toEqual({ error: undefined, calls: 1 });
    expect(await rejected(h, 'invalid_compression')).toBe(1);
  });

  it('asks for exactly one rebirth on a sequence gap and accepts data again after the NBIRTH', async () => {
    await send(h, `spBv1.0/${SLUG}/NBIRTH/${NODE}`, nbirth(h, 0, [{ name: 'Temp', alias: 1, type: 'Double', value: 1 }]));
    const ndata = (seq: number, value: number): UPayload => ({ timestamp: h.clock.now, seq, metrics: [{ alias: 1, type: 'Double', value }] as UPayload['metrics'] });
    await send(h, `spBv1.0/${SLUG}/NDATA/${NODE}`, ndata(1, 2));
    expect(h.commands).toHaveLength(0);
    // seq 2 and 3 were lost.
    const gap = await send(h, `spBv1.0/${SLUG}/NDATA/${NODE}`, ndata(4, 5));
    expect(gap).toEqual({ error: undefined, calls: 1 });
    await send(h, `spBv1.0/${SLUG}/NDATA/${NODE}`, ndata(5, 6));
    expect(h.commands).toHaveLength(1);
    const command = h.commands[0];
    expect(command?.topic).toBe(`spBv1.0/${SLUG}/NCMD/${NODE}`);
    const decoded = codec.decodePayload(command?.payload ?? new Uint8Array());
    expect(decoded.metrics).toEqual([expect.objectContaining({ name: 'Node Control/Rebirth', type: 'Boolean', value: true })]);
    expect(decoded.seq).toBeUndefined();
    expect(await rejected(h, 'out_of_sequence')).toBe(2);
    expect((await latest(h, NODE)).Temp?.value).toBe(2);

    h.clock.now += 1_000;
    await send(h, `spBv1.0/${SLUG}/NBIRTH/${NODE}`, nbirth(h, 0, [{ name: 'Temp', alias: 1, type: 'Double', value: 7 }], 1));
    await send(h, `spBv1.0/${SLUG}/NDATA/${NODE}`, ndata(1, 8));
    expect((await latest(h, NODE)).Temp?.value).toBe(8);
    expect(h.commands).toHaveLength(1);
  });

  it('asks a node that sends data before any NBIRTH to rebirth', async () => {
    await send(h, `spBv1.0/${SLUG}/NDATA/${NODE}`, { timestamp: h.clock.now, seq: 17, metrics: [{ name: 'Temp', type: 'Double', value: 1 }] });
    expect(h.commands.map((c) => c.topic)).toEqual([`spBv1.0/${SLUG}/NCMD/${NODE}`]);
    expect(await latest(h, NODE)).toEqual({});
  });

  it('ignores a stale NDEATH and marks the node and its devices offline on the matching one', async () => {
    await send(h, `spBv1.0/${SLUG}/NBIRTH/${NODE}`, nbirth(h, 0, [], 4));
    await send(h, `spBv1.0/${SLUG}/DBIRTH/${NODE}/pump-1`, { timestamp: h.clock.now, seq: 1, metrics: [{ name: 'Flow', type: 'Float', value: 1 }] });
    const child = await h.meta.devices.getByKey(h.factory.id, `${NODE}.pump-1`);

    // The Will of an earlier connection, published late by the broker.
    const stale = await send(h, `spBv1.0/${SLUG}/NDEATH/${NODE}`, { timestamp: h.clock.now, metrics: [{ name: 'bdSeq', type: 'UInt64', value: 3 }] }, 0);
    expect(stale).toEqual({ error: undefined, calls: 1 });
    expect(h.offline).toEqual([]);
    expect(await rejected(h, 'stale_death')).toBe(1);

    await send(h, `spBv1.0/${SLUG}/NDEATH/${NODE}`, { timestamp: h.clock.now, metrics: [{ name: 'bdSeq', type: 'UInt64', value: 4 }] }, 0);
    expect(h.offline).toEqual([
      [h.factory.id, h.nodeId],
      [h.factory.id, child?.id],
    ]);
    // Nothing of a death is telemetry.
    expect(Object.keys(await latest(h, NODE))).toEqual([]);
  });

  it('marks a device offline on DDEATH', async () => {
    await send(h, `spBv1.0/${SLUG}/NBIRTH/${NODE}`, nbirth(h, 0, []));
    await send(h, `spBv1.0/${SLUG}/DBIRTH/${NODE}/pump-1`, { timestamp: h.clock.now, seq: 1, metrics: [{ name: 'Flow', type: 'Float', value: 1 }] });
    await send(h, `spBv1.0/${SLUG}/DDEATH/${NODE}/pump-1`, { timestamp: h.clock.now, seq: 2, metrics: [] });
    const child = await h.meta.devices.getByKey(h.factory.id, `${NODE}.pump-1`);
    expect(h.offline).toEqual([[h.factory.id, child?.id]]);
  });

  it('counts garbage bytes, calls done once, and keeps serving other nodes', async () => {
    const garbage = await send(h, `spBv1.0/${SLUG}/NDATA/${NODE}`, Buffer.from([0xff, 0xff, 0xff, 0x07, 0x01, 0x02]));
    expect(garbage).toEqual({ error: undefined, calls: 1 });
    expect(await rejected(h, 'invalid_payload')).toBe(1);

    const other = await h.meta.devices.create(h.factory.id, { deviceKey: 'edge2' }, h.clock.now);
    const otherSession: DeviceSession = { ...h.session, deviceKey: 'edge2', device: { factoryId: h.factory.id, id: other.id, deviceKey: 'edge2', isActive: true, parameters: null } };
    await send(h, `spBv1.0/${SLUG}/NBIRTH/edge2`, nbirth(h, 0, [{ name: 'Temp', type: 'Double', value: 3 }]), 1, otherSession);
    expect(await latest(h, 'edge2')).toMatchObject({ Temp: { value: 3 } });
  });

  it('refuses an oversize payload before decoding it, and too many metrics', async () => {
    const big = await send(h, `spBv1.0/${SLUG}/NDATA/${NODE}`, Buffer.alloc(256 * 1024 + 1, 0x08));
    expect(big).toEqual({ error: undefined, calls: 1 });
    expect(await rejected(h, 'payload_too_large')).toBe(1);

    const small = await createHarness({ limits: { maxMetrics: 3 } });
    try {
      const metrics = Array.from({ length: 4 }, (_, i) => ({ name: `m${i}`, type: 'Double' as const, value: i }));
      await send(small, `spBv1.0/${SLUG}/NBIRTH/${NODE}`, nbirth(small, 0, metrics));
      expect(await rejected(small, 'too_many_metrics')).toBe(1);
    } finally {
      await destroyHarness(small);
    }
  });

  it('refuses device ids that make no valid device key, without losing the sequence', async () => {
    await send(h, `spBv1.0/${SLUG}/NBIRTH/${NODE}`, nbirth(h, 0, [{ name: 'Temp', type: 'Double', value: 1 }]));
    const bad = await send(h, `spBv1.0/${SLUG}/DBIRTH/${NODE}/pump 1`, { timestamp: h.clock.now, seq: 1, metrics: [{ name: 'Flow', type: 'Float', value: 1 }] });
    expect(bad).toEqual({ error: undefined, calls: 1 });
    expect(await rejected(h, 'invalid_device_id')).toBe(1);
    await send(h, `spBv1.0/${SLUG}/NDATA/${NODE}`, { timestamp: h.clock.now, seq: 2, metrics: [{ name: 'Temp', type: 'Double', value: 2 }] });
    expect((await latest(h, NODE)).Temp?.value).toBe(2);
    expect(h.commands).toHaveLength(0);
    expect((await h.meta.devices.listAll(h.factory.id)).map((d) => d.deviceKey)).toEqual([NODE]);
  });

  it('does not let an edge node publish for a device that has its own credentials', async () => {
    const own = await h.meta.devices.create(h.factory.id, { deviceKey: `${NODE}.meter` }, h.clock.now);
    await h.meta.deviceCredentials.add(h.factory.id, own.id, sha256Hex('k'.repeat(40)), 'kkkkkkkk', h.clock.now);
    await send(h, `spBv1.0/${SLUG}/NBIRTH/${NODE}`, nbirth(h, 0, []));
    await send(h, `spBv1.0/${SLUG}/DBIRTH/${NODE}/meter`, { timestamp: h.clock.now, seq: 1, metrics: [{ name: 'kWh', type: 'Double', value: 1 }] });
    expect(await rejected(h, 'device_not_owned')).toBe(1);
    expect(await latest(h, `${NODE}.meter`)).toEqual({});
  });

  it('without a session, resolves the node by slug and key and refuses unknown ones', async () => {
    await send(h, `spBv1.0/${SLUG}/NBIRTH/${NODE}`, nbirth(h, 0, [{ name: 'Temp', type: 'Double', value: 4 }]), 1, null);
    expect(await latest(h, NODE)).toMatchObject({ Temp: { value: 4 } });
    await send(h, `spBv1.0/${SLUG}/NDATA/ghost`, { timestamp: h.clock.now, seq: 3, metrics: [{ name: 'Temp', type: 'Double', value: 1 }] }, 1, null);
    await send(h, `spBv1.0/nowhere/NDATA/${NODE}`, { timestamp: h.clock.now, seq: 3, metrics: [{ name: 'Temp', type: 'Double', value: 1 }] }, 1, null);
    expect(await rejected(h, 'unknown_device')).toBe(1);
    expect(await rejected(h, 'unknown_factory')).toBe(1);
    expect(h.commands).toHaveLength(0);
    expect((await h.meta.devices.listAll(h.factory.id)).map((d) => d.deviceKey)).toEqual([NODE]);
  });

  it('calls done exactly once per message under a burst of QoS 1 messages', async () => {
    await send(h, `spBv1.0/${SLUG}/NBIRTH/${NODE}`, nbirth(h, 0, [{ name: 'Temp', alias: 1, type: 'Double', value: 0 }]));
    const topic = parseTopic(`spBv1.0/${SLUG}/NDATA/${NODE}`);
    if (topic?.kind !== 'sparkplug') throw new Error('topic');
    const calls: number[] = [];
    const all = Array.from({ length: 300 }, (_, i) => {
      const bytes = Buffer.from(codec.encodePayload({ timestamp: h.clock.now - 900 + i, seq: (i + 1) % 256, metrics: [{ alias: 1, type: 'Double', value: i }] as UPayload['metrics'] }));
      return new Promise<void>((resolve) => h.ingest.handle(h.session, topic, bytes, 1, () => { calls[i] = (calls[i] ?? 0) + 1; resolve(); }));
    });
    await Promise.all(all);
    expect(calls.every((n) => n === 1) && calls.length === 300).toBe(true);
    const range = await h.series.range(h.factory.id, h.nodeId, 'Temp', h.clock.now - 1000, h.clock.now, 10_000);
    expect(range.buckets.reduce((n, b) => n + b.count, 0)).toBe(301);
    expect(h.commands).toHaveLength(0);
  });
});

describe('Sparkplug through the embedded broker with Eclipse Tahu sparkplug-client', () => {
  let h: Harness;
  let broker: EmbeddedBroker;
  let client: ReturnType<typeof SparkplugClient.newClient> | undefined;

  beforeEach(async () => {
    let publish: (topic: string, payload: Buffer) => Promise<void> = () => Promise.reject(new Error('broker not started'));
    h = await createHarness({ publishCommand: (topic, payload) => publish(topic, payload) });
    const authenticator = new DeviceAuthenticator(h.meta, h.directory, () => h.clock.now);
    broker = await startEmbeddedBroker({
      host: '127.0.0.1',
      port: 0,
      allowAnonymous: false,
      logger,
      clock: () => h.clock.now,
      handlers: {
        authenticate: (username, password) => authenticator.authenticate(username, password),
        telemetry: (_session, _topic, _payload, _qos, done) => done(),
        sparkplug: (session, topic, payload, qos, done) => h.ingest.handle(session, topic, payload, qos, done),
        refused: () => {},
      },
    });
    publish = (topic, payload) => broker.publish(topic, payload, 0);
  });

  afterEach(async () => {
    client?.stop();
    client = undefined;
    await broker.close();
    await destroyHarness(h);
  });

  it('stores node and device values and answers a forced gap with a rebirth NCMD', async () => {
    const key = `fo_${randomBytes(24).toString('hex')}`;
    await h.meta.deviceCredentials.add(h.factory.id, h.nodeId, sha256Hex(key), key.slice(0, 8), h.clock.now);

    client = SparkplugClient.newClient({
      serverUrl: `tcp://127.0.0.1:${broker.port}`,
      username: `${SLUG}/${NODE}`,
      password: key,
      groupId: SLUG,
      edgeNode: NODE,
      clientId: `tahu-${randomBytes(4).toString('hex')}`,
      version: 'spBv1.0',
    });
    const tahu = client;
    const rebirths: UPayload[] = [];
    let births = 0;
    const publishBirths = (): void => {
      births++;
      const now = Date.now();
      tahu.publishNodeBirth({
        timestamp: now,
        metrics: [
          { name: 'Node Control/Rebirth', type: 'Boolean', value: false },
          { name: 'Line/Speed', alias: 1, type: 'Int32', value: 100 + births },
        ],
      });
      tahu.publishDeviceBirth('pump-1', {
        timestamp: now,
        metrics: [
          { name: 'Motor/Current', alias: 2, type: 'Float', value: 1.5 },
          { name: 'Energy Wh', alias: 3, type: 'UInt64', value: 5_000_000_000 },
        ],
      });
    };
    tahu.on('birth', publishBirths);
    tahu.on('ncmd', (payload) => {
      rebirths.push(payload);
      if (payload.metrics?.some((m) => m.name === 'Node Control/Rebirth' && m.value === true)) publishBirths();
    });

    await vi.waitFor(async () => expect(await latest(h, `${NODE}.pump-1`)).toMatchObject({ 'Energy Wh': { value: 5_000_000_000 } }), { timeout: 10_000 });
    expect(await latest(h, NODE)).toMatchObject({ 'Line/Speed': { value: 101 } });

    tahu.publishDeviceData('pump-1', { timestamp: Date.now(), metrics: [{ alias: 2, type: 'Float', value: 2.5 }] as UPayload['metrics'] });
    await vi.waitFor(async () => expect(await latest(h, `${NODE}.pump-1`)).toMatchObject({ 'Motor/Current': { value: 2.5 } }), { timeout: 10_000 });

    // Force a gap: skip three sequence numbers on the client.
    (tahu as unknown as { seq: number }).seq += 3;
    tahu.publishDeviceData('pump-1', { timestamp: Date.now(), metrics: [{ alias: 2, type: 'Float', value: 9.5 }] as UPayload['metrics'] });

    // The server asks for a rebirth; the client rebirths; data flows again.
    await vi.waitFor(() => expect(rebirths).toHaveLength(1), { timeout: 10_000 });
    expect(rebirths[0]?.metrics).toEqual([expect.objectContaining({ name: 'Node Control/Rebirth', value: true })]);
    await vi.waitFor(async () => expect(await latest(h, NODE)).toMatchObject({ 'Line/Speed': { value: 102 } }), { timeout: 10_000 });
    tahu.publishDeviceData('pump-1', { timestamp: Date.now(), metrics: [{ alias: 2, type: 'Float', value: 3.5 }] as UPayload['metrics'] });
    await vi.waitFor(async () => expect(await latest(h, `${NODE}.pump-1`)).toMatchObject({ 'Motor/Current': { value: 3.5 } }), { timeout: 10_000 });

    // The value sent inside the gap was refused, never stored.
    const device = await h.meta.devices.getByKey(h.factory.id, `${NODE}.pump-1`);
    const range = await h.series.range(h.factory.id, device?.id ?? -1, 'Motor/Current', 0, Date.now() + 60_000, 10_000);
    expect(range.buckets.map((b) => b.max)).not.toContain(9.5);
    expect(await rejected(h, 'out_of_sequence')).toBe(1);

    // An abrupt disconnect: the broker publishes the client's Will, an NDEATH whose bdSeq
    // matches the NBIRTH's, which takes the node and its device offline.
    expect(h.offline).toEqual([]);
    (tahu as unknown as { client: { stream: { destroy(): void } } }).client.stream.destroy();
    await vi.waitFor(() => expect(h.offline).toEqual([[h.factory.id, h.nodeId], [h.factory.id, device?.id]]), { timeout: 10_000 });
  });
});
