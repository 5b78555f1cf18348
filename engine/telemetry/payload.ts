// Validation of the FactoryOps JSON telemetry payload (DESIGN.md §4):
//   {"metrics": {"<parameter key>": number | string | boolean, ...}, "timestamp"?: ISO-8601 | epoch ms}
// This runs once per MQTT message on the ingest hot path, so it is a plain loop over
// Object.keys with early exits: no schema library, no per-metric closures, one result array.
//
// A message is atomic: one bad metric rejects the whole message. The device gets one clear
// reason instead of a silently partial write, and a batch never holds half a reading.

import { quoteForMessage } from './echo.js';
import { isParameterKey } from './identifiers.js';
import { parseIsoTimestamp } from './iso-timestamp.js';
import { exceedsUtf8Bytes } from './utf8.js';

export interface PayloadLimits {
  /** Largest accepted payload in UTF-8 bytes. */
  maxBytes: number;
  /** Most metrics in one message. */
  maxMetrics: number;
  /** Longest metric key in characters; can only tighten the product-wide 100. */
  maxKeyLength: number;
  /** Longest string value in UTF-16 code units (what JavaScript's `length` counts). */
  maxStringLength: number;
  /** How far ahead of the server clock a device timestamp may be (device clocks drift). */
  maxFutureSkewMs: number;
  /** Earliest accepted timestamp, epoch ms; catches unset clocks and epoch-seconds mistakes. */
  minTimestamp: number;
}

export const DEFAULT_PAYLOAD_LIMITS: Readonly<PayloadLimits> = Object.freeze({
  maxBytes: 256 * 1024,
  maxMetrics: 1000,
  maxKeyLength: 100,
  maxStringLength: 1024,
  maxFutureSkewMs: 60 * 60 * 1000,
  minTimestamp: Date.UTC(2000, 0, 1),
});

export type MetricValue = number | string | boolean;

export interface TelemetryMetric {
  key: string;
  value: MetricValue;
}

export type PayloadErrorCode =
  | 'PAYLOAD_TOO_LARGE'
  | 'INVALID_JSON'
  | 'INVALID_SHAPE'
  | 'TOO_MANY_METRICS'
  | 'INVALID_METRIC_KEY'
  | 'INVALID_METRIC_VALUE'
  | 'INVALID_TIMESTAMP'
  | 'TIMESTAMP_IN_FUTURE'
  | 'NO_METRICS';

export type PayloadResult =
  | { ok: true; ts: number; metrics: TelemetryMetric[] }
  | { ok: false; code: PayloadErrorCode; message: string };

/** The seed's device_parameters.data_type values, plus bool. */
export type ParameterDataType = 'float' | 'int' | 'string' | 'bool';

/**
 * Keys that passed isParameterKey. Devices send the same few keys in every message, so a set
 * lookup replaces the regular expression on the hot path (~2 % of the ingest CPU). Bounded:
 * emptied when full, so a device inventing keys cannot grow it.
 */
const goodKeys = new Set<string>();
const GOOD_KEYS_MAX = 50_000;

function isKnownGoodKey(key: string): boolean {
  if (goodKeys.has(key)) return true;
  if (!isParameterKey(key)) return false;
  if (goodKeys.size >= GOOD_KEYS_MAX) goodKeys.clear();
  goodKeys.add(key);
  return true;
}

/**
 * Parses and validates one telemetry message.
 *
 * @param text       the payload, already decoded from UTF-8
 * @param limits     usually DEFAULT_PAYLOAD_LIMITS
 * @param now        server clock, epoch ms: the timestamp when the device sends none, and the
 *                   reference for the future-skew check
 * @param byteLength the payload's UTF-8 size if the caller knows it (the MQTT buffer length);
 *                   otherwise it is counted from `text`. Callers holding the raw buffer should
 *                   also refuse oversize payloads before decoding them.
 */
export function parseTelemetryPayload(
  text: string,
  limits: PayloadLimits,
  now: number,
  byteLength?: number,
): PayloadResult {
  if (byteLength === undefined ? exceedsUtf8Bytes(text, limits.maxBytes) : byteLength > limits.maxBytes) {
    return fail('PAYLOAD_TOO_LARGE', `payload exceeds ${limits.maxBytes} bytes`);
  }

  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    // The engine's message names the position; cap it since newer engines quote the input.
    const detail = error instanceof Error ? `: ${quoteForMessage(error.message, 120)}` : '';
    return fail('INVALID_JSON', `payload is not valid JSON${detail}`);
  }
  if (!isPlainRecord(parsed)) {
    return fail('INVALID_SHAPE', 'payload must be a JSON object like {"metrics": {...}}');
  }

  // Unknown top-level fields are refused, so a typo such as "timestamps" or "metric" is
  // reported instead of silently ignored.
  const topKeys = Object.keys(parsed);
  for (let i = 0; i < topKeys.length; i++) {
    const field = topKeys[i] as string;
    if (field !== 'metrics' && field !== 'timestamp') {
      return fail('INVALID_SHAPE', `unknown top-level field ${quoteForMessage(field)}; allowed: metrics, timestamp`);
    }
  }

  const metricsField = parsed['metrics'];
  if (metricsField === undefined) {
    return fail('INVALID_SHAPE', 'payload has no "metrics" object');
  }
  if (!isPlainRecord(metricsField)) {
    return fail('INVALID_SHAPE', '"metrics" must be an object of {"name": value}');
  }

  const ts = resolveTimestamp(parsed['timestamp'], limits, now);
  if (typeof ts !== 'number') return ts;

  const keys = Object.keys(metricsField);
  const count = keys.length;
  if (count === 0) return fail('NO_METRICS', '"metrics" is empty');
  if (count > limits.maxMetrics) {
    return fail('TOO_MANY_METRICS', `${count} metrics in one message; at most ${limits.maxMetrics} allowed`);
  }

  const metrics: TelemetryMetric[] = [];
  for (let i = 0; i < count; i++) {
    const key = keys[i] as string;
    if (key.length > limits.maxKeyLength || !isKnownGoodKey(key)) {
      return fail(
        'INVALID_METRIC_KEY',
        `metric key ${quoteForMessage(key)} is not allowed: 1-${limits.maxKeyLength} characters of ` +
          'letters, digits, _ - . / : and inner spaces',
      );
    }
    const value = metricsField[key];
    if (typeof value === 'number') {
      // JSON cannot spell NaN, but 1e999 parses to Infinity.
      if (!Number.isFinite(value)) {
        return fail('INVALID_METRIC_VALUE', `metric ${quoteForMessage(key)} is not a finite number`);
      }
    } else if (typeof value === 'string') {
      if (value.length > limits.maxStringLength) {
        return fail(
          'INVALID_METRIC_VALUE',
          `metric ${quoteForMessage(key)} is a string longer than ${limits.maxStringLength} characters`,
        );
      }
    } else if (typeof value !== 'boolean') {
      return fail(
        'INVALID_METRIC_VALUE',
        `metric ${quoteForMessage(key)} is ${describeJsonType(value)}; expected a number, string or boolean`,
      );
    }
    metrics.push({ key, value });
  }
  return { ok: true, ts, metrics };
}

/**
 * The parameter data type a first sample suggests. Integers beyond 2^53 are 'float' since they
 * are not exact. JSON `20.0` parses to 20, so a float channel can first look like 'int':
 * combine later samples with widenDataType.
 */
export function inferDataType(value: MetricValue): ParameterDataType {
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'string') return 'string';
  return Number.isSafeInteger(value) ? 'int' : 'float';
}

/**
 * The type that holds samples of both types: equal types stay, int and float widen to float.
 * Any other mix (say a number after a string) is a real conflict: null, the caller decides.
 */
export function widenDataType(known: ParameterDataType, observed: ParameterDataType): ParameterDataType | null {
  if (known === observed) return known;
  if ((known === 'int' && observed === 'float') || (known === 'float' && observed === 'int')) return 'float';
  return null;
}

type Failure = Extract<PayloadResult, { ok: false }>;

function fail(code: PayloadErrorCode, message: string): Failure {
  return { ok: false, code, message };
}

function isPlainRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describeJsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return typeof value;
}

/** The message timestamp in epoch ms, or the failure to return. */
function resolveTimestamp(raw: unknown, limits: PayloadLimits, now: number): number | Failure {
  if (raw === undefined) return now;
  let ts: number;
  if (typeof raw === 'number') {
    if (!Number.isFinite(raw)) return fail('INVALID_TIMESTAMP', 'timestamp is not a finite number');
    ts = Math.trunc(raw);
  } else if (typeof raw === 'string') {
    const parsed = parseIsoTimestamp(raw);
    if (parsed === null) {
      return fail(
        'INVALID_TIMESTAMP',
        `timestamp ${quoteForMessage(raw)} is not ISO-8601 with a zone, e.g. 2024-05-01T12:00:00.000Z`,
      );
    }
    ts = parsed;
  } else {
    return fail('INVALID_TIMESTAMP', 'timestamp must be an ISO-8601 string or epoch milliseconds');
  }
  if (ts < limits.minTimestamp) {
    // The usual cause is epoch seconds where milliseconds are expected.
    const hint = typeof raw === 'number' && raw * 1000 >= limits.minTimestamp ? ' (epoch seconds? send milliseconds)' : '';
    return fail('INVALID_TIMESTAMP', `timestamp ${ts} is before ${formatInstant(limits.minTimestamp)}${hint}`);
  }
  if (ts > now + limits.maxFutureSkewMs) {
    return fail('TIMESTAMP_IN_FUTURE', `timestamp is more than ${limits.maxFutureSkewMs} ms ahead of the server clock`);
  }
  return ts;
}

function formatInstant(epochMs: number): string {
  const date = new Date(epochMs);
  return Number.isNaN(date.getTime()) ? String(epochMs) : date.toISOString();
}
