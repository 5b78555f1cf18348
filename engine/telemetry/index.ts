// Public API of engine/telemetry: pure topic, payload, Sparkplug B and freshness logic for the
// ingest pipeline (server/ingest) and the renderer. Import from here, not from the files.

export {
  isDeviceKey,
  isFactorySlug,
  isParameterKey,
  isSparkplugId,
  MAX_PARAMETER_KEY_LENGTH,
  MAX_SPARKPLUG_ID_LENGTH,
} from './identifiers.js';

export {
  deviceTopicPrefix,
  isSparkplugDeviceMessageType,
  isSparkplugNodeMessageType,
  MAX_TOPIC_LENGTH,
  parseTopic,
  SPARKPLUG_DEVICE_MESSAGE_TYPES,
  SPARKPLUG_NAMESPACE,
  SPARKPLUG_NODE_MESSAGE_TYPES,
  SPARKPLUG_TOPIC_FILTER,
  sparkplugStateTopic,
  sparkplugTopic,
  TELEMETRY_TOPIC_FILTER,
  telemetryTopic,
} from './topic.js';
export type {
  ParsedTopic,
  SparkplugDeviceMessageType,
  SparkplugDeviceTopic,
  SparkplugMessageType,
  SparkplugNodeMessageType,
  SparkplugNodeTopic,
  SparkplugStateTopic,
  SparkplugTopic,
  TelemetryTopic,
} from './topic.js';

export { DEFAULT_PAYLOAD_LIMITS, inferDataType, parseTelemetryPayload, widenDataType } from './payload.js';
export type {
  MetricValue,
  ParameterDataType,
  PayloadErrorCode,
  PayloadLimits,
  PayloadResult,
  TelemetryMetric,
} from './payload.js';

export {
  aliasKey,
  BD_SEQ_METRIC,
  isLongLike,
  NODE_REBIRTH_METRIC,
  rebirthCommandMetrics,
  rebirthCommandPayload,
  toNumber,
} from './sparkplug.js';
export type {
  LongLike,
  SparkplugInteger,
  SparkplugMetric,
  SparkplugOutgoingMetric,
  SparkplugPayload,
} from './sparkplug.js';

export { AliasTable, SparkplugAliasRegistry } from './sparkplug-aliases.js';
export type {
  AliasBirthReport,
  BirthProblem,
  BirthProblemCode,
  MetricCatalog,
  MetricDefinition,
  SparkplugScope,
} from './sparkplug-aliases.js';

export {
  DEFAULT_SPARKPLUG_MAPPING_OPTIONS,
  isSparkplugControlMetric,
  mapSparkplugMetrics,
} from './sparkplug-metrics.js';
export type {
  SkipCode,
  SkippedMetric,
  SparkplugMapping,
  SparkplugMappingOptions,
  SparkplugSample,
} from './sparkplug-metrics.js';

export { DEFAULT_SEQUENCE_TRACKER_OPTIONS, SparkplugSequenceTracker } from './sparkplug-sequence.js';
export type { EdgeNodeSessionSnapshot, SequenceTrackerOptions, SequenceVerdict } from './sparkplug-sequence.js';

export { DEFAULT_OFFLINE_AFTER_MS, DEFAULT_STALE_AFTER_MS, deviceStatus, isStale } from './status.js';
export type { DeviceStatus } from './status.js';

export { parseIsoTimestamp } from './iso-timestamp.js';
export { exceedsUtf8Bytes, utf8ByteLength } from './utf8.js';
export { MAX_ECHO_LENGTH, quoteForMessage } from './echo.js';
