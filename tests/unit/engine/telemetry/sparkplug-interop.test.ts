// The engine describes sparkplug-payload's decode output structurally instead of importing it.
// These tests run the real encoder/decoder so the description cannot drift from the library.
import { describe, expect, it } from 'vitest';
import { get } from 'sparkplug-payload';
import {
  mapSparkplugMetrics,
  parseTopic,
  rebirthCommandPayload,
  SparkplugAliasRegistry,
  SparkplugSequenceTracker,
} from '../../../../engine/telemetry/index.js';
import type { SparkplugPayload, SparkplugTopic } from '../../../../engine/telemetry/index.js';

const codec = spBv1Codec();
const NOW = Date.UTC(2024, 4, 1, 12, 0, 0);

function spBv1Codec(): NonNullable<ReturnType<typeof get>> {
  const found = get('spBv1.0');
  if (found === null) throw new Error('sparkplug-payload has no spBv1.0 codec');
  return found;
}

function decode(bytes: Uint8Array): SparkplugPayload {
  // Assignability is the point: decodePayload's type must fit SparkplugPayload as-is.
  const payload: SparkplugPayload = codec.decodePayload(bytes);
  return payload;
}

function topic(text: string): SparkplugTopic {
  const parsed = parseTopic(text);
  if (parsed?.kind !== 'sparkplug') throw new Error(text);
  return parsed;
}

describe('sparkplug-payload interoperability', () => {
  it('tracks, registers and maps a real NBIRTH followed by an alias-only NDATA', () => {
    const nbirth = codec.encodePayload({
      timestamp: NOW - 2_000,
      seq: 0,
      metrics: [
        { name: 'bdSeq', type: 'Int64', value: 3 },
        { name: 'Node Control/Rebirth', type: 'Boolean', value: false },
        { name: 'Motor/Speed RPM', alias: 10, type: 'Int32', value: 1200 },
        { name: 'Energy Wh', alias: 11, type: 'UInt64', value: 5_000_000_000 },
        { name: 'Temp', alias: 12, type: 'Double', value: 20.5 },
        { name: 'Started', alias: 13, type: 'DateTime', value: NOW - 3_600_000 },
      ],
    });
    const ndata = codec.encodePayload({
      timestamp: NOW - 1_000,
      seq: 1,
      metrics: [
        { alias: 10, type: 'Int32', value: 1250 },
        { alias: 11, type: 'UInt64', value: 5_000_000_100 },
        { alias: 99, type: 'Double', value: 1 },
      ],
    });

    const tracker = new SparkplugSequenceTracker();
    const registry = new SparkplugAliasRegistry();
    const birthTopic = topic('spBv1.0/Plant/NBIRTH/edge-1');
    const dataTopic = topic('spBv1.0/Plant/NDATA/edge-1');

    const birthPayload = decode(nbirth);
    expect(tracker.observe(birthTopic, birthPayload, NOW).accept).toBe(true);
    expect(tracker.snapshot('Plant', 'edge-1')?.bdSeq).toBe(3);
    registry.recordBirth(birthTopic, birthPayload.metrics);
    const born = mapSparkplugMetrics(birthPayload, registry.catalog(birthTopic), NOW);
    expect(born.samples.map((s) => [s.key, s.value, s.ts])).toEqual([
      ['Motor/Speed RPM', 1200, NOW - 2_000],
      ['Energy Wh', 5_000_000_000, NOW - 2_000],
      ['Temp', 20.5, NOW - 2_000],
      ['Started', NOW - 3_600_000, NOW - 2_000],
    ]);

    const dataPayload = decode(ndata);
    expect(tracker.observe(dataTopic, dataPayload, NOW).accept).toBe(true);
    const mapped = mapSparkplugMetrics(dataPayload, registry.catalog(dataTopic), NOW);
    expect(mapped.samples.map((s) => [s.key, s.value])).toEqual([
      ['Motor/Speed RPM', 1250],
      ['Energy Wh', 5_000_000_100],
    ]);
    expect(mapped.skipped).toMatchObject([{ name: 'alias 99', code: 'UNKNOWN_ALIAS' }]);
    expect(mapped.needsRebirth).toBe(true);
  });

  it('encodes the rebirth command payload', () => {
    const decoded = codec.decodePayload(codec.encodePayload(rebirthCommandPayload(NOW)));
    expect(decoded.metrics?.[0]).toMatchObject({ name: 'Node Control/Rebirth', type: 'Boolean', value: true });
    expect(decoded.seq).toBeUndefined();
  });
});
