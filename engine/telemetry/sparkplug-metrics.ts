// Maps the metrics of one decoded Sparkplug B BIRTH or DATA payload onto FactoryOps samples
// (parameter key, scalar value, timestamp). Unlike the JSON path this is not atomic: a
// Sparkplug payload is a whole edge node's report, often mixing scalars with DataSets,
// Templates and control metrics, so each metric is kept or skipped on its own, and every skip
// says why.

import { quoteForMessage } from './echo.js';
import { isParameterKey } from './identifiers.js';
import { DEFAULT_PAYLOAD_LIMITS } from './payload.js';
import type { MetricValue } from './payload.js';
import type { MetricCatalog } from './sparkplug-aliases.js';
import { BD_SEQ_METRIC, isLongLike, toNumber } from './sparkplug.js';
import type { SparkplugMetric, SparkplugPayload } from './sparkplug.js';

export interface SparkplugSample {
  key: string;
  value: MetricValue;
  /** Epoch ms: the metric's timestamp, else the payload's, else `now`. */
  ts: number;
  /** Set when the edge node sent a stored-and-forwarded value: store it, but it is not "latest". */
  historical?: true;
  /** Set when the edge node asked for the value not to be historized: show it live, do not store it. */
  transient?: true;
}

export type SkipCode =
  | 'CONTROL'
  | 'NULL'
  | 'NO_NAME'
  | 'UNKNOWN_ALIAS'
  | 'INVALID_NAME'
  | 'UNSUPPORTED_TYPE'
  | 'NO_DATATYPE'
  | 'INVALID_VALUE'
  | 'INVALID_TIMESTAMP'
  | 'TIMESTAMP_IN_FUTURE';

export interface SkippedMetric {
  /** The metric name (escaped and capped, safe for logs), or `alias N` when only an alias came. */
  name: string;
  code: SkipCode;
  reason: string;
}

export interface SparkplugMapping {
  samples: SparkplugSample[];
  skipped: SkippedMetric[];
  /**
   * True when a DATA metric used an alias the last BIRTH did not declare: our picture of the
   * node is out of date, so ask it for a rebirth (NCMD `Node Control/Rebirth`).
   */
  needsRebirth: boolean;
}

export interface SparkplugMappingOptions {
  /** Longest string value kept, in UTF-16 code units. */
  maxStringLength: number;
  /** How far ahead of `now` a timestamp may be. */
  maxFutureSkewMs: number;
  /** Earliest accepted timestamp, epoch ms. */
  minTimestamp: number;
}

/** The same bounds as the JSON path, so both ingest shapes store the same kind of data. */
export const DEFAULT_SPARKPLUG_MAPPING_OPTIONS: Readonly<SparkplugMappingOptions> = Object.freeze({
  maxStringLength: DEFAULT_PAYLOAD_LIMITS.maxStringLength,
  maxFutureSkewMs: DEFAULT_PAYLOAD_LIMITS.maxFutureSkewMs,
  minTimestamp: DEFAULT_PAYLOAD_LIMITS.minTimestamp,
});

/**
 * Control and metadata metrics: session bookkeeping and edge-node configuration, not process
 * values. `bdSeq` is the session number [tck-id-topics-nbirth-bdseq-included];
 * `Node Control/*` and `Device Control/*` are command endpoints such as
 * `Node Control/Rebirth` [tck-id-topics-nbirth-rebirth-metric]; `Properties/*` describe the
 * node (hardware, firmware).
 */
export function isSparkplugControlMetric(name: string): boolean {
  return (
    name === BD_SEQ_METRIC ||
    name.startsWith('Node Control/') ||
    name.startsWith('Device Control/') ||
    name.startsWith('Properties/')
  );
}

/**
 * Maps a BIRTH or DATA payload. `aliases` is the catalog of the scope the topic names (from
 * SparkplugAliasRegistry.catalog, after recording this payload if it is a BIRTH); undefined
 * means no BIRTH is known, so alias-only metrics cannot be resolved.
 *
 * Skipped, with a reason: control metrics; null values; DataSet, Template, Bytes, File,
 * PropertySet(List) and unknown datatypes; names that are not valid parameter keys; values
 * that do not fit their datatype, non-finite floats, over-long strings; timestamps before
 * `minTimestamp` or too far in the future. Integers (Int64, UInt64, DateTime) come out as
 * numbers, exact up to 2^53 (see toNumber).
 */
export function mapSparkplugMetrics(
  payload: SparkplugPayload,
  aliases: MetricCatalog | undefined,
  now: number,
  options: SparkplugMappingOptions = DEFAULT_SPARKPLUG_MAPPING_OPTIONS,
): SparkplugMapping {
  const samples: SparkplugSample[] = [];
  const skipped: SkippedMetric[] = [];
  let needsRebirth = false;
  const metrics = payload.metrics ?? [];
  // Payload timestamp: when the message was sent [tck-id-payloads-ndata-timestamp]; the
  // fallback for metrics without their own [tck-id-payloads-name-birth-data-requirement].
  const payloadTs = payload.timestamp === undefined || payload.timestamp === null ? now : toNumber(payload.timestamp);

  for (let i = 0; i < metrics.length; i++) {
    const metric = metrics[i] as SparkplugMetric;

    // 1. Who is it? A name, or an alias declared by the BIRTH.
    let name = metric.name;
    let declaredType: string | undefined;
    if (typeof name === 'string' && name.length > 0) {
      declaredType = aliases?.byName(name)?.type;
    } else if (metric.alias !== undefined && metric.alias !== null) {
      const definition = aliases?.byAlias(metric.alias);
      if (definition === undefined) {
        needsRebirth = true;
        skipped.push({
          name: `alias ${String(toNumber(metric.alias))}`,
          code: 'UNKNOWN_ALIAS',
          reason: 'alias not declared by the last BIRTH of this node/device',
        });
        continue;
      }
      name = definition.name;
      declaredType = definition.type;
    } else {
      skipped.push({ name: `metric #${i}`, code: 'NO_NAME', reason: 'metric has neither name nor alias' });
      continue;
    }

    if (isSparkplugControlMetric(name)) {
      skipped.push({ name: quoteForMessage(name), code: 'CONTROL', reason: 'control/metadata metric, not telemetry' });
      continue;
    }
    if (!isParameterKey(name)) {
      skipped.push({
        name: quoteForMessage(name),
        code: 'INVALID_NAME',
        reason: 'name is not a valid parameter key (1-100 of letters, digits, _ - . / : and inner spaces)',
      });
      continue;
    }

    // 2. What is it? DATA metrics usually omit the datatype; the BIRTH declared it.
    const type = typeof metric.type === 'string' ? metric.type : declaredType;
    const raw = metric.value;
    if (metric.isNull === true || raw === null || raw === undefined) {
      // sparkplug-payload decodes a metric without a datatype as value null, so a DATA metric
      // that (correctly) omits the datatype loses its value before it reaches us.
      const lost = typeof metric.type !== 'string' && metric.isNull !== true;
      skipped.push(
        lost
          ? { name: quoteForMessage(name), code: 'NO_DATATYPE', reason: 'metric has no datatype, so its value was not decoded' }
          : { name: quoteForMessage(name), code: 'NULL', reason: 'value is null' },
      );
      continue;
    }
    const value = scalarValue(type, raw, options.maxStringLength);
    if (typeof value === 'object') {
      skipped.push({ name: quoteForMessage(name), code: value.code, reason: value.reason });
      continue;
    }

    // 3. When? Metric timestamp, else payload timestamp, else now.
    const ts = metric.timestamp === undefined || metric.timestamp === null ? payloadTs : toNumber(metric.timestamp);
    if (!Number.isFinite(ts) || ts < options.minTimestamp) {
      skipped.push({
        name: quoteForMessage(name),
        code: 'INVALID_TIMESTAMP',
        reason: `timestamp ${String(ts)} is not epoch milliseconds after ${options.minTimestamp}`,
      });
      continue;
    }
    if (ts > now + options.maxFutureSkewMs) {
      skipped.push({
        name: quoteForMessage(name),
        code: 'TIMESTAMP_IN_FUTURE',
        reason: `timestamp is more than ${options.maxFutureSkewMs} ms ahead of the server clock`,
      });
      continue;
    }

    const sample: SparkplugSample = { key: name, value, ts: Math.trunc(ts) };
    if (metric.isHistorical === true) sample.historical = true;
    if (metric.isTransient === true) sample.transient = true;
    samples.push(sample);
  }
  return { samples, skipped, needsRebirth };
}

interface ValueProblem {
  code: 'UNSUPPORTED_TYPE' | 'INVALID_VALUE';
  reason: string;
}

/** The scalar for a datatype, or why there is none. */
function scalarValue(type: string | undefined, raw: unknown, maxStringLength: number): MetricValue | ValueProblem {
  switch (type) {
    case 'Int8':
    case 'Int16':
    case 'Int32':
    case 'Int64':
    case 'UInt8':
    case 'UInt16':
    case 'UInt32':
    case 'UInt64':
    case 'DateTime': // epoch ms, kept as a number
      return integerValue(raw, type);
    case 'Float':
    case 'Double':
      if (typeof raw !== 'number') return invalid(`${type} value is not a number`);
      // Protobuf floats can carry NaN and ±Infinity; a chart or a rule cannot use them.
      return Number.isFinite(raw) ? raw : invalid(`${type} value is not finite`);
    case 'Boolean':
      return typeof raw === 'boolean' ? raw : invalid('Boolean value is not a boolean');
    case 'String':
    case 'Text':
    case 'UUID':
      if (typeof raw !== 'string') return invalid(`${type} value is not a string`);
      return raw.length <= maxStringLength ? raw : invalid(`string longer than ${maxStringLength} characters`);
    case undefined:
      // Neither the metric nor its BIRTH declared a datatype: accept plain scalars as they are.
      if (typeof raw === 'boolean' || typeof raw === 'string') {
        return typeof raw === 'string' && raw.length > maxStringLength
          ? invalid(`string longer than ${maxStringLength} characters`)
          : raw;
      }
      if (typeof raw === 'number') return Number.isFinite(raw) ? raw : invalid('value is not finite');
      if (isLongLike(raw) || typeof raw === 'bigint') return toNumber(raw);
      return { code: 'UNSUPPORTED_TYPE', reason: 'no datatype and the value is not a scalar' };
    default:
      // DataSet, Template, Bytes, File, PropertySet, PropertySetList, or a type we do not know.
      return { code: 'UNSUPPORTED_TYPE', reason: `datatype ${quoteForMessage(type, 24)} is not a scalar FactoryOps stores` };
  }
}

function integerValue(raw: unknown, type: string): number | ValueProblem {
  if (typeof raw === 'number') return Number.isFinite(raw) ? raw : invalid(`${type} value is not finite`);
  if (typeof raw === 'bigint' || isLongLike(raw)) return toNumber(raw);
  return invalid(`${type} value is not an integer`);
}

function invalid(reason: string): ValueProblem {
  return { code: 'INVALID_VALUE', reason };
}
