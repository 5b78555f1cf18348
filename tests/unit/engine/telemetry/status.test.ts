import { describe, expect, it } from 'vitest';
import {
  DEFAULT_OFFLINE_AFTER_MS,
  DEFAULT_STALE_AFTER_MS,
  deviceStatus,
  isStale,
} from '../../../../engine/telemetry/index.js';

const NOW = Date.UTC(2024, 4, 1, 12, 0, 0);

describe('isStale', () => {
  it('defaults to ten minutes and is fresh at exactly the limit', () => {
    expect(DEFAULT_STALE_AFTER_MS).toBe(600_000);
    expect(isStale(NOW - 600_000, NOW)).toBe(false);
    expect(isStale(NOW - 600_001, NOW)).toBe(true);
  });

  it('treats future timestamps as fresh and non-finite ones as stale', () => {
    expect(isStale(NOW + 60_000, NOW)).toBe(false);
    expect(isStale(NaN, NOW)).toBe(true);
    expect(isStale(NOW, NOW, NaN)).toBe(true);
  });

  it('honours a custom threshold', () => {
    expect(isStale(NOW - 1_001, NOW, 1_000)).toBe(true);
    expect(isStale(NOW - 1_000, NOW, 1_000)).toBe(false);
  });
});

describe('deviceStatus', () => {
  it('is never_seen before the first message', () => {
    expect(deviceStatus(null, NOW)).toBe('never_seen');
  });

  it('is online until offlineAfterMs of silence, then offline', () => {
    expect(DEFAULT_OFFLINE_AFTER_MS).toBe(600_000);
    expect(deviceStatus(NOW - 600_000, NOW)).toBe('online');
    expect(deviceStatus(NOW - 600_001, NOW)).toBe('offline');
    expect(deviceStatus(NOW - 30_000, NOW, 10_000)).toBe('offline');
  });
});
