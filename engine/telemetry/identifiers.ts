// The shapes of the names that reach us from devices. They end up in MQTT topics, URLs,
// database keys and chart legends, so each is a small, explicit allow-list rather than a
// deny-list: anything not listed (wildcards `+`/`#`, `/` inside a segment, control
// characters, unicode look-alikes) is refused before it can mean something somewhere else.

/** Factory (tenant) slug: lower-case DNS-label style, 1–63 characters. */
const FACTORY_SLUG = /^[a-z0-9](?:[a-z0-9-]{0,62})$/;

/** Device key: letters, digits, `.`, `_`, `-`; 1–100 characters; starts with a letter or digit. */
const DEVICE_KEY = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/**
 * Parameter (metric) key: letters, digits, `_ - . / :` and space, 1–100 characters, no leading
 * or trailing space. `/` and space are allowed because Sparkplug metric names are folder
 * paths with human words in them (`Motor/Speed RPM`). Parameter keys never become topic
 * segments, so `/` is harmless here.
 */
const PARAMETER_KEY = /^[A-Za-z0-9_\-./:](?:[A-Za-z0-9_\-./: ]{0,98}[A-Za-z0-9_\-./:])?$/;

/** Longest parameter key anywhere in the product (the parameters table column). */
export const MAX_PARAMETER_KEY_LENGTH = 100;

/**
 * Names that fit the parameter charset but are special to JavaScript objects. JSON.parse makes
 * them ordinary own properties (no pollution here), but any later `record[key] = value` on a
 * plain object (a renderer store, a cache) would reach the prototype. They are not plausible
 * instrument names, so they are refused at the door.
 */
const RESERVED_PARAMETER_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** Sparkplug ids may be any UTF-8 except these; we cap the length so a topic stays bounded. */
export const MAX_SPARKPLUG_ID_LENGTH = 255;

export function isFactorySlug(value: unknown): value is string {
  return typeof value === 'string' && FACTORY_SLUG.test(value);
}

export function isDeviceKey(value: unknown): value is string {
  return typeof value === 'string' && DEVICE_KEY.test(value);
}

export function isParameterKey(value: unknown): value is string {
  return typeof value === 'string' && PARAMETER_KEY.test(value) && !RESERVED_PARAMETER_KEYS.has(value);
}

/**
 * A Sparkplug group_id, edge_node_id, device_id or host id: a non-empty UTF-8 string without
 * the reserved `+`, `/`, `#` [tck-id-topic-structure-namespace-valid-group-id]
 * [tck-id-topic-structure-namespace-valid-edge-node-id]
 * [tck-id-topic-structure-namespace-valid-device-id]. We also refuse control characters and
 * unpaired surrogates (not valid UTF-8), and cap the length at MAX_SPARKPLUG_ID_LENGTH.
 */
export function isSparkplugId(value: unknown): value is string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_SPARKPLUG_ID_LENGTH) {
    return false;
  }
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || code === 0x7f || (code >= 0x80 && code < 0xa0)) return false;
    if (code === 0x23 /* # */ || code === 0x2b /* + */ || code === 0x2f /* / */) return false;
    if (code >= 0xd800 && code <= 0xdbff) {
      const next = value.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return false;
      i++;
    } else if (code >= 0xdc00 && code <= 0xdfff) {
      return false;
    }
  }
  return true;
}
