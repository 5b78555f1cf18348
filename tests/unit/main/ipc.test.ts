import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Value from 'typebox/value';
import type { TSchema } from 'typebox';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IPC_CHANNEL_NAMES } from '../../../engine/contract/ipc-channels.js';
import { IPC_CHANNELS, MAX_EXPORT_CHARS, type IpcName } from '../../../engine/contract/ipc.js';
import { IpcValidationError, validateRequest } from '../../../main/core/ipc-dispatch.js';
import { createTestShell, type TestShell } from './shell-services.js';

const ch = IPC_CHANNEL_NAMES;
const TOKEN = 'rt_0123456789abcdefABCDEF-_.~';

describe('IPC contract', () => {
  it('has one channel name per call, all distinct and prefixed', () => {
    const names = Object.values(IPC_CHANNELS).map((c) => c.channel);
    expect(new Set(names).size).toBe(names.length);
    expect(names.every((n) => n.startsWith('factoryops:'))).toBe(true);
    expect(Object.keys(IPC_CHANNELS).sort()).toEqual(Object.keys(IPC_CHANNEL_NAMES).sort());
  });

  it.each<[IpcName, unknown[], string]>([
    ['saveRefreshToken', [42], 'saveRefreshToken: invalid argument'],
    ['saveRefreshToken', ['short'], 'saveRefreshToken: invalid argument'],
    ['saveRefreshToken', ['has spaces in it, not a token'], 'saveRefreshToken: invalid argument'],
    ['saveProfile', [{ name: 'A', serverUrl: 'https://a.example', admin: true }], 'saveProfile: invalid argument'],
    ['saveProfile', [{ name: '', serverUrl: 'https://a.example' }], 'at /name'],
    ['saveProfile', [{ name: 'A', serverUrl: 'javascript:alert(1)' }], 'at /serverUrl'],
    ['openProfile', [{ id: '../../etc', newWindow: false }], 'at /id'],
    ['notifyAlarm', [{ alarmId: 1, severity: 'urgent', title: 't', body: '' }], 'at /severity'],
    ['notifyAlarm', [{ alarmId: -1, severity: 'critical', title: 't', body: '' }], 'at /alarmId'],
    ['saveFile', [{ suggestedName: '../x.csv', mimeType: 'text/csv', content: '' }], 'at /suggestedName'],
    ['saveFile', [{ suggestedName: 'x.exe', mimeType: 'application/x-msdownload', content: '' }], 'at /mimeType'],
    ['saveFile', [{ suggestedName: 'x.csv', mimeType: 'text/csv', content: 'a'.repeat(MAX_EXPORT_CHARS + 1) }], 'at /content'],
    ['hostInfo', [{}], 'hostInfo: invalid argument'],
    ['hostInfo', [undefined, 'extra'], 'expected at most one argument, got 2'],
  ])('refuses a bad %s message (%j)', (name, args, message) => {
    expect(() => validateRequest(name, args)).toThrow(IpcValidationError);
    expect(() => validateRequest(name, args)).toThrow(message);
  });

  it('accepts the messages the preload sends', () => {
    expect(validateRequest('saveRefreshToken', [TOKEN])).toBe(TOKEN);
    expect(validateRequest('saveRefreshToken', [null])).toBeNull();
    expect(validateRequest('hostInfo', [])).toBeUndefined();
    expect(validateRequest('saveFile', [{ suggestedName: 'trend 2025-03-01.csv', mimeType: 'text/csv', content: 'a,b\n1,2\n' }])).toBeTruthy();
  });
});

describe('IPC handlers of the shell', () => {
  let shell: TestShell;
  let profileId: string;
  const call = (windowId: number, channel: string, ...args: unknown[]) => shell.dispatcher.dispatch(channel, { windowId }, args);
  const respond = (name: IpcName, value: unknown) => expect(Value.Check(IPC_CHANNELS[name].response as TSchema, value)).toBe(true);

  beforeEach(() => {
    shell = createTestShell();
    profileId = shell.profiles.save({ name: 'Plant 1', serverUrl: 'https://plant-1.example:8443' }).id;
    shell.sessions.set(1, { profileId, wall: null });
    shell.sessions.set(2, { profileId, wall: { layout: 'trends', devices: [3, 4], cycleSeconds: 30 } });
    shell.sessions.set(3, { profileId: null, wall: null });
  });
  afterEach(() => shell.close());

  it("describes the window's profile and wall settings, matching the contract", async () => {
    const normal = await call(1, ch.hostInfo);
    respond('hostInfo', normal);
    expect(normal).toEqual({ serverUrl: 'https://plant-1.example:8443', profileName: 'Plant 1', wallMode: false, wallLayout: null, wallDevices: [], wallCycleSeconds: null, shellVersion: '0.1.0-test' });
    expect(await call(2, ch.hostInfo)).toMatchObject({ wallMode: true, wallLayout: 'trends', wallDevices: [3, 4], wallCycleSeconds: 30 });
  });

  it('keeps the refresh token encrypted on disk, per profile', async () => {
    await call(1, ch.saveRefreshToken, TOKEN);
    expect(await call(2, ch.loadRefreshToken)).toBe(TOKEN);
    const files = readdirSync(join(shell.dir, 'vault'));
    expect(files).toEqual([`${profileId}.bin`]);
    expect(readFileSync(join(shell.dir, 'vault', files[0] as string)).toString('latin1')).not.toContain(TOKEN.slice(3, 20));
    const list = (await call(1, ch.listProfiles)) as { profiles: Array<{ hasToken: boolean }> };
    respond('listProfiles', list);
    expect(list.profiles[0]?.hasToken).toBe(true);
    await call(1, ch.saveRefreshToken, null);
    expect(await call(1, ch.loadRefreshToken)).toBeNull();
  });

  it('re-encrypts after an OS key rotation and drops a token it cannot read', async () => {
    await call(1, ch.saveRefreshToken, TOKEN);
    const before = readFileSync(join(shell.dir, 'vault', `${profileId}.bin`));
    shell.cipher.rotate();
    expect(await call(1, ch.loadRefreshToken)).toBe(TOKEN);
    expect(readFileSync(join(shell.dir, 'vault', `${profileId}.bin`)).equals(before)).toBe(false);
    shell.cipher['keys'] = [Buffer.alloc(32, 7)];
    expect(await call(1, ch.loadRefreshToken)).toBeNull();
    expect(readdirSync(join(shell.dir, 'vault'))).toEqual([]);
  });

  it('gives a window without a profile no vault, and unknown windows nothing', async () => {
    await expect(call(3, ch.loadRefreshToken)).rejects.toThrow('this window has no connection profile');
    await expect(call(99, ch.hostInfo)).rejects.toThrow('not one of the app windows');
    await expect(call(1, 'factoryops:eval', 'x')).rejects.toThrow('unknown IPC channel');
  });

  it('manages profiles: add, move (which forgets the token), refuse removing one in use', async () => {
    const added = await call(3, ch.saveProfile, { name: 'Plant 2', serverUrl: 'https://plant-2.example/' });
    respond('saveProfile', added);
    expect(added).toMatchObject({ name: 'Plant 2', serverUrl: 'https://plant-2.example', pinnedFingerprint: null, hasToken: false });
    await call(1, ch.saveRefreshToken, TOKEN);
    await call(3, ch.saveProfile, { id: profileId, name: 'Plant 1', serverUrl: 'https://plant-1-new.example' });
    expect(await call(1, ch.loadRefreshToken)).toBeNull();
    await expect(call(3, ch.removeProfile, { id: profileId })).rejects.toThrow('open in a window');
    await call(3, ch.removeProfile, { id: (added as { id: string }).id });
    await expect(call(3, ch.saveProfile, { name: 'X', serverUrl: 'http://x.example' })).rejects.toThrow('plain http:// is allowed only for this machine');
  });

  it('opens a profile and remembers it as the last used', async () => {
    const other = shell.profiles.save({ name: 'Plant 2', serverUrl: 'https://plant-2.example' });
    await call(3, ch.openProfile, { id: other.id, newWindow: true });
    expect(shell.opened).toEqual([{ windowId: 3, profileId: other.id, newWindow: true }]);
    expect(shell.profiles.defaultProfile()?.id).toBe(other.id);
    await expect(call(3, ch.openProfile, { id: 'missing-1', newWindow: false })).rejects.toThrow('no profile "missing-1"');
  });

  it('notifies critical alarms once each, nothing for lower severities', async () => {
    await call(1, ch.notifyAlarm, { alarmId: 7, severity: 'high', title: 'Press 3', body: 'pressure high' });
    await call(1, ch.notifyAlarm, { alarmId: 8, severity: 'critical', title: 'Press 3', body: 'pressure 9.1 bar > 9' });
    await call(2, ch.notifyAlarm, { alarmId: 8, severity: 'critical', title: 'Press 3', body: 'pressure 9.1 bar > 9' });
    expect(shell.notifications).toEqual([{ windowId: 1, plan: { title: 'Critical alarm: Press 3', body: 'pressure 9.1 bar > 9', alarmId: 8 } }]);
  });

  it('passes connection states on for the tray', async () => {
    await call(2, ch.reportConnection, { state: 'offline' });
    expect(shell.connection).toEqual([{ windowId: 2, state: 'offline' }]);
  });
});
