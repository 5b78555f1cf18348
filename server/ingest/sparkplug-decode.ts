/**
 * Sparkplug B payload decoding for the ingest path, on sparkplug-payload's protobuf
 * definitions rather than its decodePayload(). decodePayload() reads a metric's value from the
 * field its own datatype names, but DATA metrics usually omit the datatype
 * [tck-id-payloads-metric-datatype-not-req], so their values came back null. Here the datatype
 * falls back to the one the BIRTH declared (by name or alias, from the alias registry), and
 * then to whichever value field is set. It also reads a UInt32 in long_value as unsigned
 * (decodePayload's Long#toInt() turns values above 2^31 negative).
 *
 * The result has the structural shape the engine expects (SparkplugPayload); 64-bit fields stay
 * Long-likes for the engine's toNumber(). Payloads compressed the Eclipse Tahu way (uuid
 * `SPBV1.0_COMPRESSED`, the encoded payload deflated or gzipped in `body`, an optional
 * `algorithm` metric) are inflated with a size cap and decoded again.
 */
import pako from 'pako';
import { get as getCodec } from 'sparkplug-payload';
import protoRoot from 'sparkplug-payload/lib/sparkplugPayloadProto.js';
import type { org } from 'sparkplug-payload/lib/sparkplugPayloadProto.js';
import type { MetricCatalog } from '../../engine/telemetry/sparkplug-aliases.js';
import type { LongLike, SparkplugMetric, SparkplugPayload } from '../../engine/telemetry/sparkplug.js';

const { Payload } = protoRoot.org.eclipse.tahu.protobuf;
type RawPayload = org.eclipse.tahu.protobuf.Payload;
type RawMetric = org.eclipse.tahu.protobuf.Payload.IMetric;

const codec = getCodec('spBv1.0');

/** Encodes an outgoing payload (an NCMD) with sparkplug-payload's encoder. */
export function encodeSparkplugPayload(payload: Parameters<NonNullable<typeof codec>['encodePayload']>[0]): Buffer {
  if (codec === null) throw new Error('sparkplug-payload has no spBv1.0 codec');
  return Buffer.from(codec.encodePayload(payload));
}

export const COMPRESSED_UUID = 'SPBV1.0_COMPRESSED';

export interface SparkplugDecodeLimits {
  /** Largest accepted MQTT payload, checked before decoding. */
  maxBytes: number;
  /** Largest payload a compressed one may inflate to. */
  maxInflatedBytes: number;
  /** Most metrics in one payload. */
  maxMetrics: number;
}

export const DEFAULT_SPARKPLUG_DECODE_LIMITS: Readonly<SparkplugDecodeLimits> = Object.freeze({
  maxBytes: 256 * 1024,
  maxInflatedBytes: 1024 * 1024,
  maxMetrics: 10_000,
});

export type DecodeFailureCode = 'payload_too_large' | 'invalid_payload' | 'invalid_compression' | 'too_many_metrics';

export type DecodeResult =
  | { ok: true; payload: SparkplugPayload }
  | { ok: false; code: DecodeFailureCode; message: string };

/** Datatype names by their protobuf enum value (0 = Unknown). */
const TYPE_NAMES = [
  undefined, 'Int8', 'Int16', 'Int32', 'Int64', 'UInt8', 'UInt16', 'UInt32', 'UInt64', 'Float', 'Double',
  'Boolean', 'String', 'DateTime', 'Text', 'UUID', 'DataSet', 'Bytes', 'File', 'Template', 'PropertySet',
  'PropertySetList',
] as const;

/**
 * Decodes one payload. `catalog` is the alias table of the topic's scope for DATA/DEATH
 * messages (undefined for BIRTHs, which carry their own datatypes). Never throws.
 */
export function decodeSparkplugPayload(
  bytes: Uint8Array,
  catalog: MetricCatalog | undefined,
  limits: SparkplugDecodeLimits = DEFAULT_SPARKPLUG_DECODE_LIMITS,
): DecodeResult {
  if (bytes.length > limits.maxBytes) {
    return fail('payload_too_large', `payload is ${bytes.length} bytes; the limit is ${limits.maxBytes}`);
  }
  let raw = decodeRaw(bytes);
  if (raw === null) return fail('invalid_payload', 'payload is not a Sparkplug B protobuf');
  if (has(raw, 'uuid') && raw.uuid === COMPRESSED_UUID) {
    const inner = decompress(raw, limits.maxInflatedBytes);
    if (typeof inner === 'string') return fail('invalid_compression', inner);
    const decoded = decodeRaw(inner);
    if (decoded === null) return fail('invalid_payload', 'compressed body is not a Sparkplug B protobuf');
    if (has(decoded, 'uuid') && decoded.uuid === COMPRESSED_UUID) return fail('invalid_compression', 'nested compression');
    // Tahu puts seq inside the compressed payload; accept it on the wrapper too.
    if (!has(decoded, 'seq') && has(raw, 'seq')) decoded.seq = raw.seq;
    raw = decoded;
  }
  const rawMetrics = raw.metrics;
  if (rawMetrics.length > limits.maxMetrics) {
    return fail('too_many_metrics', `${rawMetrics.length} metrics in one payload; at most ${limits.maxMetrics} allowed`);
  }
  const metrics: SparkplugMetric[] = new Array<SparkplugMetric>(rawMetrics.length);
  for (let i = 0; i < rawMetrics.length; i++) metrics[i] = toMetric(rawMetrics[i] as RawMetric, catalog);
  const payload: SparkplugPayload = { metrics };
  if (has(raw, 'timestamp')) payload.timestamp = raw.timestamp;
  if (has(raw, 'seq')) payload.seq = raw.seq;
  if (has(raw, 'uuid')) payload.uuid = raw.uuid;
  return { ok: true, payload };
}

function fail(code: DecodeFailureCode, message: string): DecodeResult {
  return { ok: false, code, message };
}

/**
 * protobufjs keeps defaults on the prototype and sets only the fields the bytes carried as own
 * properties, so "present" is an own-property test (a missing seq must not read as 0).
 */
function has(object: object, field: string): boolean {
  return Object.prototype.hasOwnProperty.call(object, field);
}

function decodeRaw(bytes: Uint8Array): RawPayload | null {
  try {
    return Payload.decode(bytes);
  } catch {
    return null;
  }
}

function toMetric(raw: RawMetric, catalog: MetricCatalog | undefined): SparkplugMetric {
  const metric: SparkplugMetric = {};
  if (has(raw, 'name')) metric.name = raw.name ?? null;
  if (has(raw, 'alias')) metric.alias = raw.alias as LongLike | number;
  if (has(raw, 'timestamp')) metric.timestamp = raw.timestamp as LongLike | number;
  if (has(raw, 'isHistorical')) metric.isHistorical = raw.isHistorical ?? null;
  if (has(raw, 'isTransient')) metric.isTransient = raw.isTransient ?? null;
  const datatype = has(raw, 'datatype') ? (raw.datatype ?? 0) : 0;
  if (datatype !== 0) metric.type = TYPE_NAMES[datatype] ?? `datatype ${datatype}`;
  if (raw.isNull === true) {
    metric.isNull = true;
    metric.value = null;
    return metric;
  }
  metric.value = readValue(raw, metric.type ?? declaredType(metric, catalog));
  return metric;
}

/** The datatype the last BIRTH declared for this metric, by name, else by alias. */
function declaredType(metric: SparkplugMetric, catalog: MetricCatalog | undefined): string | undefined {
  if (catalog === undefined) return undefined;
  if (typeof metric.name === 'string' && metric.name.length > 0) return catalog.byName(metric.name)?.type;
  if (metric.alias !== undefined && metric.alias !== null) return catalog.byAlias(metric.alias)?.type;
  return undefined;
}

/** The value of whichever value field is set, read as `type` says; null when none is. */
function readValue(raw: RawMetric, type: string | undefined): unknown {
  if (has(raw, 'intValue')) return readInt(raw.intValue ?? 0, type);
  if (has(raw, 'longValue')) return readLong(raw.longValue ?? 0, type);
  if (has(raw, 'floatValue')) return raw.floatValue;
  if (has(raw, 'doubleValue')) return raw.doubleValue;
  if (has(raw, 'booleanValue')) return raw.booleanValue;
  if (has(raw, 'stringValue')) return raw.stringValue;
  // Bytes, DataSet, Template, extensions: not scalars; the mapping skips them by datatype.
  if (has(raw, 'bytesValue')) return raw.bytesValue;
  if (has(raw, 'datasetValue')) return raw.datasetValue;
  if (has(raw, 'templateValue')) return raw.templateValue;
  if (has(raw, 'extensionValue')) return raw.extensionValue;
  return null;
}

/**
 * int_value is a uint32. Signed types come as the two's complement of 32 bits (Tahu) or of
 * their own width; sign-extending from the type's width reads both the same.
 */
function readInt(value: number, type: string | undefined): number {
  switch (type) {
    case 'Int8':
      return (value << 24) >> 24;
    case 'Int16':
      return (value << 16) >> 16;
    case 'Int32':
    case 'Int64':
      return value | 0;
    default:
      return value >>> 0;
  }
}

/** long_value is a uint64: signed only when the datatype says so. */
function readLong(value: number | LongLike, type: string | undefined): number | LongLike {
  if (typeof value === 'number') return value;
  const signed = type === 'Int64' || type === 'Int32' || type === 'Int16' || type === 'Int8';
  return { low: value.low, high: value.high, unsigned: !signed };
}

/** The inflated body, or why it cannot be inflated. */
function decompress(raw: RawPayload, maxBytes: number): Uint8Array | string {
  if (!has(raw, 'body')) return 'compressed payload has no body';
  let algorithm = 'DEFLATE';
  for (const metric of raw.metrics) {
    if (metric.name === 'algorithm' && typeof metric.stringValue === 'string') algorithm = metric.stringValue.toUpperCase();
  }
  if (algorithm !== 'DEFLATE' && algorithm !== 'GZIP') return `unsupported compression algorithm ${algorithm.slice(0, 20)}`;
  // Without options pako detects zlib and gzip headers; DEFLATE may also be sent raw.
  const inflated = inflateCapped(raw.body, maxBytes, false);
  if (inflated !== null || algorithm === 'GZIP') return inflated ?? 'body does not inflate (GZIP)';
  return inflateCapped(raw.body, maxBytes, true) ?? `body does not inflate (DEFLATE), or inflates beyond ${maxBytes} bytes`;
}

class TooLarge extends Error {}

/** Inflates chunk by chunk and gives up past `maxBytes`, so a small bomb cannot fill memory. */
function inflateCapped(body: Uint8Array, maxBytes: number, raw: boolean): Uint8Array | null {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const inflator = new pako.Inflate(raw ? { raw: true } : undefined);
  inflator.onData = (chunk) => {
    const bytes = chunk as Uint8Array;
    total += bytes.length;
    if (total > maxBytes) throw new TooLarge();
    chunks.push(bytes);
  };
  try {
    // true: this is all of the input; false back means corrupt or truncated.
    if (!inflator.push(body, true) || inflator.err !== 0) return null;
  } catch {
    return null; // TooLarge, or pako choking on the input
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}
