import { describe, expect, it } from 'vitest';
import { isDeviceKey, isFactorySlug, isParameterKey, isSparkplugId } from '../../../../engine/telemetry/index.js';

describe('isFactorySlug', () => {
  it('accepts lower-case DNS-label slugs of 1 to 63 characters', () => {
    for (const slug of ['a', '0', 'acme', 'plant-7', 'a'.repeat(63), 'x-']) {
      expect(isFactorySlug(slug), slug).toBe(true);
    }
  });

  it('refuses upper case, leading hyphen, other punctuation, unicode and 64 characters', () => {
    for (const slug of ['', 'Acme', '-acme', 'ac_me', 'ac.me', 'ac me', 'acmé', 'a/b', '+', '#', 'a'.repeat(64)]) {
      expect(isFactorySlug(slug), slug).toBe(false);
    }
  });

  it('refuses non-strings', () => {
    expect(isFactorySlug(undefined)).toBe(false);
    expect(isFactorySlug(42)).toBe(false);
    expect(isFactorySlug(['acme'])).toBe(false);
  });
});

describe('isDeviceKey', () => {
  it('accepts letters, digits, dot, underscore and hyphen up to 100 characters', () => {
    for (const key of ['p1', 'Press-01', 'line_3.press.7', 'A', '9', 'a'.repeat(100)]) {
      expect(isDeviceKey(key), key).toBe(true);
    }
  });

  it('refuses a leading symbol, path tricks, wildcards, spaces, unicode and 101 characters', () => {
    for (const key of ['', '.hidden', '..', '-x', '_x', 'a/b', 'a+b', 'a#b', 'a b', 'pressé', 'a\u0000', 'a'.repeat(101)]) {
      expect(isDeviceKey(key), JSON.stringify(key)).toBe(false);
    }
  });
});

describe('isParameterKey', () => {
  it('accepts Sparkplug-style folder names with inner spaces and colons', () => {
    for (const key of ['temp', 'Motor/Speed RPM', 'line:1/temp_c', 'a.b-c', 'x', 'k'.repeat(100)]) {
      expect(isParameterKey(key), key).toBe(true);
    }
  });

  it('refuses leading or trailing spaces, control characters, unicode and 101 characters', () => {
    for (const key of ['', ' temp', 'temp ', ' ', 'te\nmp', 'te\tmp', 'temp\u0000', 'Temp °C', 'a"b', 'k'.repeat(101)]) {
      expect(isParameterKey(key), JSON.stringify(key)).toBe(false);
    }
  });

  it('refuses the names that are special to JavaScript objects', () => {
    expect(isParameterKey('__proto__')).toBe(false);
    expect(isParameterKey('constructor')).toBe(false);
    expect(isParameterKey('prototype')).toBe(false);
    expect(isParameterKey('__proto__x')).toBe(true);
  });
});

describe('isSparkplugId', () => {
  it('accepts any UTF-8 text without the reserved + / #', () => {
    for (const id of ['Plant A', 'edge-01', 'Gerät 7', 'ライン', 'emoji 🏭']) {
      expect(isSparkplugId(id), id).toBe(true);
    }
  });

  it('refuses empty, reserved characters, control characters, lone surrogates and overlong ids', () => {
    for (const id of ['', 'a/b', 'a+b', 'a#b', 'a\u0000b', 'a\nb', 'a\u007fb', 'a\u0085b', 'x\ud800', '\udc00x', 'a'.repeat(256)]) {
      expect(isSparkplugId(id), JSON.stringify(id)).toBe(false);
    }
  });
});
