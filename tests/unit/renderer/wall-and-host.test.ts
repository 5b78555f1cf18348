/** Wall mode from the URL or the Electron profile, and the profile's server address checked before use. */
import { describe, expect, it } from 'vitest';
import type { HostInfo } from '../../../engine/contract/bridge.js';
import { checkHostInfo } from '../../../renderer/src/api/transport.js';
import { backoffMs } from '../../../renderer/src/api/stream-client.js';
import { wallConfigOf } from '../../../renderer/src/lib/wall.js';

describe('wallConfigOf', () => {
  it('is null for the desk console', () => {
    expect(wallConfigOf('', null)).toBeNull();
    expect(wallConfigOf('?wall=0', null)).toBeNull();
  });

  it('reads layout, devices and cycling from the URL, with safe defaults', () => {
    expect(wallConfigOf('?wall=1', null)).toEqual({ layout: 'overview', devices: [], cycleSeconds: null });
    expect(wallConfigOf('?wall=1&layout=trends&devices=3, 7,x,-2&cycle=30', null)).toEqual({ layout: 'trends', devices: [3, 7], cycleSeconds: 30 });
    expect(wallConfigOf('?wall=true&layout=nonsense&cycle=1', null)).toEqual({ layout: 'overview', devices: [], cycleSeconds: 5 });
  });

  it('follows the Electron profile, and the URL wins where it says something', () => {
    const host = { layout: 'alarms' as const, devices: [4], cycleSeconds: 20 };
    expect(wallConfigOf('', host)).toEqual({ layout: 'alarms', devices: [4], cycleSeconds: 20 });
    expect(wallConfigOf('?layout=trends', host)).toEqual({ layout: 'trends', devices: [4], cycleSeconds: 20 });
  });
});

describe('checkHostInfo', () => {
  const base: HostInfo = { serverUrl: 'https://plant-1.local:8443/', profileName: 'Plant 1', wallMode: true, wallLayout: 'alarms', wallDevices: [1, 0, 2.5, 3], wallCycleSeconds: null, shellVersion: '1.0.0' };

  it('keeps the origin only and drops nonsense from the profile', () => {
    const info = checkHostInfo({ ...base, serverUrl: 'https://plant-1.local:8443/some/path?x=1', wallLayout: 'bogus' as never });
    expect(info.serverUrl).toBe('https://plant-1.local:8443');
    expect(info.wallLayout).toBeNull();
    expect(info.wallDevices).toEqual([1, 3]);
  });

  it('refuses an address that is not an http(s) URL, saying why', () => {
    expect(() => checkHostInfo({ ...base, serverUrl: 'plant-1:8443' })).toThrow(/not a URL|https/);
    expect(() => checkHostInfo({ ...base, serverUrl: 'file:///etc/passwd' })).toThrow(/https:\/\//);
  });
});

describe('stream reconnect backoff', () => {
  it('doubles from about 1 s to the cap, with jitter within ±25 %', () => {
    for (let attempt = 0; attempt < 8; attempt++) {
      const base = Math.min(30_000, 1000 * 2 ** attempt);
      const delay = backoffMs(attempt, 30_000);
      expect(delay).toBeGreaterThanOrEqual(base * 0.75);
      expect(delay).toBeLessThanOrEqual(base * 1.25);
    }
    expect(backoffMs(40, 30_000)).toBeLessThanOrEqual(37_500);
  });
});
