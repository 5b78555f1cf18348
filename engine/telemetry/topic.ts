// MQTT topic parsing and building for the two ingest shapes (DESIGN.md §4):
//   factories/{slug}/devices/{deviceKey}/telemetry            — FactoryOps JSON
//   spBv1.0/{group}/{TYPE}/{edgeNode}[/{device}]              — Sparkplug B (protobuf)
//   spBv1.0/STATE/{hostId}                                    — Sparkplug host STATE
// Parsing is strict: an unknown shape returns null and the pipeline drops the message. The
// broker rejects wildcards in PUBLISH topics already; we refuse them again because a topic can
// also reach us from HTTP ingest or a bridge.

import { isDeviceKey, isFactorySlug, isSparkplugId } from './identifiers.js';

export const SPARKPLUG_NAMESPACE = 'spBv1.0';

/** Edge-node-level message types: the topic has no device_id. */
export const SPARKPLUG_NODE_MESSAGE_TYPES = ['NBIRTH', 'NDATA', 'NDEATH', 'NCMD'] as const;
/** Device-level message types: the topic ends with a device_id. */
export const SPARKPLUG_DEVICE_MESSAGE_TYPES = ['DBIRTH', 'DDATA', 'DDEATH', 'DCMD'] as const;

export type SparkplugNodeMessageType = (typeof SPARKPLUG_NODE_MESSAGE_TYPES)[number];
export type SparkplugDeviceMessageType = (typeof SPARKPLUG_DEVICE_MESSAGE_TYPES)[number];
export type SparkplugMessageType = SparkplugNodeMessageType | SparkplugDeviceMessageType;

/** Subscription filters the broker adapter uses to receive both shapes. */
export const TELEMETRY_TOPIC_FILTER = 'factories/+/devices/+/telemetry';
export const SPARKPLUG_TOPIC_FILTER = `${SPARKPLUG_NAMESPACE}/#`;

/**
 * Longest topic we bother splitting. The longest valid topic is a Sparkplug device topic with
 * three MAX_SPARKPLUG_ID_LENGTH ids (~790 characters); anything longer is refused unsplit.
 */
export const MAX_TOPIC_LENGTH = 1024;

export interface TelemetryTopic {
  kind: 'telemetry';
  factorySlug: string;
  deviceKey: string;
}

export interface SparkplugNodeTopic {
  kind: 'sparkplug';
  group: string;
  messageType: SparkplugNodeMessageType;
  edgeNode: string;
  device?: undefined;
}

export interface SparkplugDeviceTopic {
  kind: 'sparkplug';
  group: string;
  messageType: SparkplugDeviceMessageType;
  edgeNode: string;
  device: string;
}

export type SparkplugTopic = SparkplugNodeTopic | SparkplugDeviceTopic;

export interface SparkplugStateTopic {
  kind: 'sparkplug-state';
  hostId: string;
}

export type ParsedTopic = TelemetryTopic | SparkplugTopic | SparkplugStateTopic;

const NODE_TYPES: ReadonlySet<string> = new Set(SPARKPLUG_NODE_MESSAGE_TYPES);
const DEVICE_TYPES: ReadonlySet<string> = new Set(SPARKPLUG_DEVICE_MESSAGE_TYPES);

export function isSparkplugNodeMessageType(value: string): value is SparkplugNodeMessageType {
  return NODE_TYPES.has(value);
}

export function isSparkplugDeviceMessageType(value: string): value is SparkplugDeviceMessageType {
  return DEVICE_TYPES.has(value);
}

/** Parses an MQTT PUBLISH topic; null for anything that is not exactly one of our shapes. */
export function parseTopic(topic: string): ParsedTopic | null {
  if (typeof topic !== 'string' || topic.length === 0 || topic.length > MAX_TOPIC_LENGTH) return null;
  const parts = topic.split('/');
  const head = parts[0];
  if (head === 'factories') return parseTelemetryTopic(parts);
  if (head === SPARKPLUG_NAMESPACE) return parseSparkplugTopic(parts);
  return null;
}

function parseTelemetryTopic(parts: string[]): TelemetryTopic | null {
  if (parts.length !== 5 || parts[2] !== 'devices' || parts[4] !== 'telemetry') return null;
  const factorySlug = parts[1];
  const deviceKey = parts[3];
  if (!isFactorySlug(factorySlug) || !isDeviceKey(deviceKey)) return null;
  return { kind: 'telemetry', factorySlug, deviceKey };
}

// [tck-id-topic-structure] namespace/group_id/message_type/edge_node_id/[device_id], with the
// namespace constant `spBv1.0` [tck-id-topic-structure-namespace-a].
function parseSparkplugTopic(parts: string[]): SparkplugTopic | SparkplugStateTopic | null {
  const second = parts[1];
  // STATE is reserved: `spBv1.0/STATE/{host_id}` [tck-id-host-topic-phid-birth-topic]. A group
  // literally named STATE would be indistinguishable, so `spBv1.0/STATE/...` is never a group.
  if (second === 'STATE') {
    if (parts.length !== 3 || !isSparkplugId(parts[2])) return null;
    return { kind: 'sparkplug-state', hostId: parts[2] };
  }
  if (parts.length !== 4 && parts.length !== 5) return null;
  const group = second;
  const messageType = parts[2];
  const edgeNode = parts[3];
  if (!isSparkplugId(group) || !isSparkplugId(edgeNode) || messageType === undefined) return null;
  // device_id present exactly for D* types
  // [tck-id-topic-structure-namespace-device-id-associated-message-types]
  // [tck-id-topic-structure-namespace-device-id-non-associated-message-types]
  if (parts.length === 4) {
    if (!isSparkplugNodeMessageType(messageType)) return null;
    return { kind: 'sparkplug', group, messageType, edgeNode };
  }
  const device = parts[4];
  if (!isSparkplugDeviceMessageType(messageType) || !isSparkplugId(device)) return null;
  return { kind: 'sparkplug', group, messageType, edgeNode, device };
}

/** `factories/{slug}/devices/{key}/telemetry`. Throws RangeError on an invalid slug or key. */
export function telemetryTopic(factorySlug: string, deviceKey: string): string {
  return `${deviceTopicPrefix(factorySlug, deviceKey)}telemetry`;
}

/**
 * `factories/{slug}/devices/{key}/` — everything a device may publish under. Because neither
 * part can contain `/`, `topic.startsWith(prefix)` cannot match another device's topics.
 * Throws RangeError on an invalid slug or key.
 */
export function deviceTopicPrefix(factorySlug: string, deviceKey: string): string {
  if (!isFactorySlug(factorySlug)) throw new RangeError('invalid factory slug');
  if (!isDeviceKey(deviceKey)) throw new RangeError('invalid device key');
  return `factories/${factorySlug}/devices/${deviceKey}/`;
}

/**
 * Builds a Sparkplug topic (e.g. the NCMD topic for a rebirth request). The device is required
 * for D* types and forbidden for N* types; throws RangeError otherwise or on an invalid id.
 */
export function sparkplugTopic(group: string, messageType: SparkplugNodeMessageType, edgeNode: string): string;
export function sparkplugTopic(
  group: string,
  messageType: SparkplugDeviceMessageType,
  edgeNode: string,
  device: string,
): string;
export function sparkplugTopic(
  group: string,
  messageType: SparkplugMessageType,
  edgeNode: string,
  device?: string,
): string;
export function sparkplugTopic(
  group: string,
  messageType: SparkplugMessageType,
  edgeNode: string,
  device?: string,
): string {
  if (!isSparkplugId(group) || group === 'STATE') throw new RangeError('invalid Sparkplug group id');
  if (!isSparkplugId(edgeNode)) throw new RangeError('invalid Sparkplug edge node id');
  const base = `${SPARKPLUG_NAMESPACE}/${group}/${messageType}/${edgeNode}`;
  if (isSparkplugNodeMessageType(messageType)) {
    if (device !== undefined) throw new RangeError(`${messageType} topics carry no device id`);
    return base;
  }
  if (!isSparkplugDeviceMessageType(messageType)) throw new RangeError('unknown Sparkplug message type');
  if (!isSparkplugId(device)) throw new RangeError(`${messageType} topics need a valid device id`);
  return `${base}/${device}`;
}

/** `spBv1.0/STATE/{hostId}` [tck-id-host-topic-phid-birth-topic]. Throws RangeError on a bad id. */
export function sparkplugStateTopic(hostId: string): string {
  if (!isSparkplugId(hostId)) throw new RangeError('invalid Sparkplug host id');
  return `${SPARKPLUG_NAMESPACE}/STATE/${hostId}`;
}
