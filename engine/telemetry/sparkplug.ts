// Sparkplug B 3.0 vocabulary shared by the alias registry, the metric mapping and the sequence
// tracker (sparkplug-aliases.ts, sparkplug-metrics.ts, sparkplug-sequence.ts).
//
// The engine never decodes protobuf. The server decodes with npm `sparkplug-payload`
// (`get('spBv1.0').decodePayload(bytes)`) and hands the result here; the types below describe
// that result structurally, so the engine needs neither that package nor `long`. 64-bit fields
// (timestamp, seq, alias, Int64/UInt64/UInt32/DateTime values) arrive as Long objects
// `{ low, high, unsigned }`; plain numbers and bigints are accepted too.

/** The shape of a `long` Long (or any 64-bit integer split into two 32-bit halves). */
export interface LongLike {
  /** Low 32 bits, as a signed or unsigned 32-bit number. */
  low: number;
  /** High 32 bits, as a signed or unsigned 32-bit number. */
  high: number;
  /** Whether the 64 bits are unsigned (absent = signed, as in `long`). */
  unsigned?: boolean;
}

export type SparkplugInteger = number | bigint | LongLike;

/** One decoded metric, as `decodePayload()` produces it. */
export interface SparkplugMetric {
  name?: string | null;
  alias?: SparkplugInteger | null;
  timestamp?: SparkplugInteger | null;
  /** Datatype name: 'Int32', 'UInt64', 'Float', 'Double', 'Boolean', 'String', 'DateTime', … */
  type?: string | null;
  value?: unknown;
  isNull?: boolean | null;
  isHistorical?: boolean | null;
  isTransient?: boolean | null;
}

/** One decoded payload, as `decodePayload()` produces it. */
export interface SparkplugPayload {
  timestamp?: SparkplugInteger | null;
  seq?: SparkplugInteger | null;
  uuid?: string | null;
  body?: Uint8Array | null;
  metrics?: readonly SparkplugMetric[] | null;
}

/** A metric to encode and send (NCMD/DCMD), in the shape `encodePayload()` takes. */
export interface SparkplugOutgoingMetric {
  name: string;
  type: 'Boolean';
  value: boolean;
}

export const BD_SEQ_METRIC = 'bdSeq';
export const NODE_REBIRTH_METRIC = 'Node Control/Rebirth';

const TWO_POW_32 = 4294967296;
/** Below this high word, high * 2^32 + low is still a safe integer (2^53 = 2^21 * 2^32). */
const SAFE_HIGH_WORDS = 2097152;

export function isLongLike(value: unknown): value is LongLike {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as LongLike).low === 'number' &&
    typeof (value as LongLike).high === 'number'
  );
}

/**
 * A Sparkplug integer as a JavaScript number: numbers pass through, bigints and Long-likes are
 * converted from their bits (the same arithmetic as `Long#toNumber`, so an object without that
 * method works too). Exact up to 2^53 in magnitude; beyond that the result is the nearest
 * double, so UInt64 counters above 9,007,199,254,740,992 lose their last digits. Anything that
 * is not an integer representation gives NaN.
 */
export function toNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (isLongLike(value)) {
    const low = value.low >>> 0;
    const high = value.unsigned === true ? value.high >>> 0 : value.high | 0;
    return high * TWO_POW_32 + low;
  }
  return NaN;
}

/**
 * An exact, comparable key for an alias (a uint64 in the protobuf): the number itself when it
 * is a safe integer, otherwise `"high:low"` of the unsigned 64 bits. null when `value` is not a
 * non-negative integer. Keys are only compared, never shown.
 */
export function aliasKey(value: unknown): number | string | null {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : null;
  if (typeof value === 'bigint') {
    if (value < 0n || value > 0xffffffffffffffffn) return null;
    if (value <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(value);
    return `${Number(value >> 32n)}:${Number(value & 0xffffffffn)}`;
  }
  if (isLongLike(value)) {
    const high = value.high >>> 0;
    const low = value.low >>> 0;
    // A signed Long with the top bit set is negative: not a valid alias.
    if (value.unsigned !== true && value.high < 0) return null;
    return high < SAFE_HIGH_WORDS ? high * TWO_POW_32 + low : `${high}:${low}`;
  }
  return null;
}

/**
 * The metrics of an NCMD that asks an edge node to republish its NBIRTH and DBIRTHs:
 * `Node Control/Rebirth` = true, by name (never by alias)
 * [tck-id-operational-behavior-data-commands-ncmd-rebirth-name]
 * [tck-id-operational-behavior-data-commands-ncmd-rebirth-value]. Send it on the node's NCMD
 * topic [tck-id-operational-behavior-data-commands-ncmd-rebirth-verb]. A fresh array each call.
 */
export function rebirthCommandMetrics(): SparkplugOutgoingMetric[] {
  return [{ name: NODE_REBIRTH_METRIC, type: 'Boolean', value: true }];
}

/**
 * The whole NCMD rebirth payload for `encodePayload()`: a timestamp
 * [tck-id-payloads-ncmd-timestamp] and no `seq`, since commands carry none
 * [tck-id-payloads-ncmd-seq].
 */
export function rebirthCommandPayload(now: number): { timestamp: number; metrics: SparkplugOutgoingMetric[] } {
  return { timestamp: now, metrics: rebirthCommandMetrics() };
}
