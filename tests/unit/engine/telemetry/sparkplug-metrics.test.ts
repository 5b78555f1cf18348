import { describe, expect, it } from 'vitest';
import { AliasTable, mapSparkplugMetrics } from '../../../../engine/telemetry/index.js';
import type { SparkplugMetric, SparkplugPayload } from '../../../../engine/telemetry/index.js';

const NOW = Date.UTC(2024, 4, 1, 12, 0, 0);
const PAYLOAD_TS = NOW - 1_000;

function long(value: bigint, unsigned: boolean): { low: number; high: number; unsigned: boolean } {
  const bits = BigInt.asUintN(64, value);
  return { low: Number(bits & 0xffffffffn) | 0, high: Number(bits >> 32n) | 0, unsigned };
}

function payloadOf(metrics: SparkplugMetric[], timestamp: SparkplugPayload['timestamp'] = PAYLOAD_TS): SparkplugPayload {
  return { timestamp, seq: 1, metrics };
}

const birth = AliasTable.fromBirth([
  { name: 'bdSeq', type: 'Int64', value: 0 },
  { name: 'Node Control/Rebirth', type: 'Boolean', value: false },
  { name: 'Motor/Speed RPM', alias: 1, type: 'Int32', value: 0 },
  { name: 'Temp', alias: 2, type: 'Double', value: 0 },
  { name: 'Running', alias: 3, type: 'Boolean', value: false },
  { name: 'Counter', alias: 4, type: 'UInt64', value: 0 },
]).table;

describe('mapSparkplugMetrics: values', () => {
  it('maps scalar types, including Long-like 64-bit integers and DateTime as epoch ms', () => {
    const stamp = NOW - 60_000;
    const result = mapSparkplugMetrics(
      payloadOf([
        { name: 'i32', type: 'Int32', value: -5 },
        { name: 'i64', type: 'Int64', value: long(-123456789012n, false) },
        { name: 'u64', type: 'UInt64', value: long(2n ** 40n, true) },
        { name: 'f', type: 'Float', value: 1.5 },
        { name: 'd', type: 'Double', value: 2.25 },
        { name: 'b', type: 'Boolean', value: true },
        { name: 's', type: 'String', value: 'auto' },
        { name: 't', type: 'Text', value: 'long text' },
        { name: 'when', type: 'DateTime', value: long(BigInt(stamp), true) },
      ]),
      undefined,
      NOW,
    );
    expect(result.skipped).toEqual([]);
    expect(result.needsRebirth).toBe(false);
    expect(result.samples.map((s) => [s.key, s.value])).toEqual([
      ['i32', -5],
      ['i64', -123456789012],
      ['u64', 2 ** 40],
      ['f', 1.5],
      ['d', 2.25],
      ['b', true],
      ['s', 'auto'],
      ['t', 'long text'],
      ['when', stamp],
    ]);
  });

  it('skips null values, control metrics and non-scalar types with a reason each', () => {
    const result = mapSparkplugMetrics(
      payloadOf([
        { name: 'bdSeq', type: 'Int64', value: 3 },
        { name: 'Node Control/Rebirth', type: 'Boolean', value: false },
        { name: 'Device Control/Reset', type: 'Boolean', value: false },
        { name: 'Properties/Hardware Make', type: 'String', value: 'ACME' },
        { name: 'gone', type: 'Double', value: null },
        { name: 'gone2', type: 'Double', value: 1, isNull: true },
        { name: 'table', type: 'DataSet', value: { numOfColumns: 1, types: [], rows: [] } },
        { name: 'udt', type: 'Template', value: { metrics: [] } },
        { name: 'blob', type: 'Bytes', value: new Uint8Array([1]) },
        { name: 'doc', type: 'File', value: new Uint8Array([1]) },
        { name: 'odd', type: 'Quaternion', value: 1 },
        { name: 'kept', type: 'Double', value: 1 },
      ]),
      undefined,
      NOW,
    );
    expect(result.samples.map((s) => s.key)).toEqual(['kept']);
    expect(result.skipped.map((s) => s.code)).toEqual([
      'CONTROL',
      'CONTROL',
      'CONTROL',
      'CONTROL',
      'NULL',
      'NULL',
      'UNSUPPORTED_TYPE',
      'UNSUPPORTED_TYPE',
      'UNSUPPORTED_TYPE',
      'UNSUPPORTED_TYPE',
      'UNSUPPORTED_TYPE',
    ]);
    expect(result.skipped[0]?.name).toBe('"bdSeq"');
  });

  it('skips values that do not fit their datatype and non-finite floats', () => {
    const result = mapSparkplugMetrics(
      payloadOf([
        { name: 'nan', type: 'Float', value: NaN },
        { name: 'inf', type: 'Double', value: Infinity },
        { name: 'wrong', type: 'Int32', value: 'seven' },
        { name: 'flag', type: 'Boolean', value: 1 },
        { name: 'text', type: 'String', value: 'x'.repeat(1025) },
      ]),
      undefined,
      NOW,
    );
    expect(result.samples).toEqual([]);
    expect(result.skipped.map((s) => s.code)).toEqual(Array(5).fill('INVALID_VALUE'));
  });

  it('skips names that are not valid parameter keys, echoing them safely', () => {
    const result = mapSparkplugMetrics(
      payloadOf([
        { name: 'Temp (°C)', type: 'Double', value: 1 },
        { name: '__proto__', type: 'Double', value: 1 },
        { name: 'bad\nname', type: 'Double', value: 1 },
      ]),
      undefined,
      NOW,
    );
    expect(result.samples).toEqual([]);
    expect(result.skipped.map((s) => s.code)).toEqual(['INVALID_NAME', 'INVALID_NAME', 'INVALID_NAME']);
    expect(result.skipped[2]?.name).toBe('"bad\\u000aname"');
  });

  it('reports a metric without datatype whose value the decoder dropped', () => {
    const result = mapSparkplugMetrics(payloadOf([{ alias: 2, value: null }]), birth, NOW);
    expect(result.skipped).toMatchObject([{ name: '"Temp"', code: 'NO_DATATYPE' }]);
  });

  it('takes plain scalars as they are when no datatype is known at all', () => {
    const result = mapSparkplugMetrics(payloadOf([{ name: 'x', value: 3 }, { name: 'y', value: { a: 1 } }]), undefined, NOW);
    expect(result.samples.map((s) => s.value)).toEqual([3]);
    expect(result.skipped.map((s) => s.code)).toEqual(['UNSUPPORTED_TYPE']);
  });
});

describe('mapSparkplugMetrics: aliases', () => {
  it('resolves alias-only DATA metrics to the BIRTH name and datatype', () => {
    const result = mapSparkplugMetrics(
      payloadOf([
        { alias: long(1n, true), value: 1450 },
        { alias: 2, value: 21.5 },
        { alias: 3n, value: true },
        { alias: 4, value: long(2n ** 33n, true) },
      ]),
      birth,
      NOW,
    );
    expect(result.samples.map((s) => [s.key, s.value])).toEqual([
      ['Motor/Speed RPM', 1450],
      ['Temp', 21.5],
      ['Running', true],
      ['Counter', 2 ** 33],
    ]);
  });

  it('uses the BIRTH datatype when a DATA metric names itself but omits the type', () => {
    const result = mapSparkplugMetrics(payloadOf([{ name: 'Temp', value: NaN }]), birth, NOW);
    expect(result.skipped).toMatchObject([{ code: 'INVALID_VALUE' }]);
  });

  it('reports an unknown alias and asks for a rebirth instead of guessing', () => {
    const result = mapSparkplugMetrics(payloadOf([{ alias: 99, value: 1 }, { alias: 2, value: 5 }]), birth, NOW);
    expect(result.needsRebirth).toBe(true);
    expect(result.skipped).toMatchObject([{ name: 'alias 99', code: 'UNKNOWN_ALIAS' }]);
    expect(result.samples.map((s) => s.key)).toEqual(['Temp']);
  });

  it('cannot resolve any alias without a BIRTH', () => {
    const result = mapSparkplugMetrics(payloadOf([{ alias: 2, value: 5 }]), undefined, NOW);
    expect(result.needsRebirth).toBe(true);
    expect(result.samples).toEqual([]);
  });

  it('reports metrics with neither name nor alias', () => {
    const result = mapSparkplugMetrics(payloadOf([{ type: 'Double', value: 5 }]), birth, NOW);
    expect(result.skipped).toMatchObject([{ code: 'NO_NAME' }]);
  });
});

describe('mapSparkplugMetrics: timestamps and flags', () => {
  it('uses the metric timestamp, else the payload timestamp, else now', () => {
    const metricTs = NOW - 5_000;
    const withPayloadTs = mapSparkplugMetrics(
      payloadOf([
        { name: 'a', type: 'Double', value: 1, timestamp: long(BigInt(metricTs), true) },
        { name: 'b', type: 'Double', value: 2 },
      ]),
      undefined,
      NOW,
    );
    expect(withPayloadTs.samples.map((s) => s.ts)).toEqual([metricTs, PAYLOAD_TS]);
    const withoutPayloadTs = mapSparkplugMetrics(payloadOf([{ name: 'b', type: 'Double', value: 2 }], null), undefined, NOW);
    expect(withoutPayloadTs.samples.map((s) => s.ts)).toEqual([NOW]);
  });

  it('skips metrics stamped before 2000 or too far in the future', () => {
    const result = mapSparkplugMetrics(
      payloadOf([
        { name: 'old', type: 'Double', value: 1, timestamp: 1_000 },
        { name: 'future', type: 'Double', value: 1, timestamp: NOW + 3_600_001 },
        { name: 'edge', type: 'Double', value: 1, timestamp: NOW + 3_600_000 },
      ]),
      undefined,
      NOW,
    );
    expect(result.skipped.map((s) => s.code)).toEqual(['INVALID_TIMESTAMP', 'TIMESTAMP_IN_FUTURE']);
    expect(result.samples.map((s) => s.key)).toEqual(['edge']);
  });

  it('marks historical and transient samples and leaves others unmarked', () => {
    const result = mapSparkplugMetrics(
      payloadOf([
        { name: 'h', type: 'Double', value: 1, isHistorical: true },
        { name: 't', type: 'Double', value: 1, isTransient: true },
        { name: 'n', type: 'Double', value: 1, isHistorical: false },
      ]),
      undefined,
      NOW,
    );
    expect(result.samples).toEqual([
      { key: 'h', value: 1, ts: PAYLOAD_TS, historical: true },
      { key: 't', value: 1, ts: PAYLOAD_TS, transient: true },
      { key: 'n', value: 1, ts: PAYLOAD_TS },
    ]);
  });

  it('handles a payload without metrics', () => {
    expect(mapSparkplugMetrics({ seq: 1 }, birth, NOW)).toEqual({ samples: [], skipped: [], needsRebirth: false });
  });
});
