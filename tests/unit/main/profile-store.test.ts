import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProfileError, ProfileStore, profileIdFor } from '../../../main/core/profile-store.js';
import { normaliseServerUrl, ServerUrlError } from '../../../main/core/server-url.js';

const FP = `${'12:'.repeat(31)}12`;

describe('server addresses of profiles', () => {
  it.each([
    ['https://plant-1.example:8443', 'https://plant-1.example:8443'],
    ['  https://Plant-1.Example:8443/  ', 'https://plant-1.example:8443'],
    ['https://plant-1.example:443', 'https://plant-1.example'],
    ['http://127.0.0.1:8080', 'http://127.0.0.1:8080'],
    ['http://localhost:3000/', 'http://localhost:3000'],
  ])('normalises %s to %s', (input, origin) => {
    expect(normaliseServerUrl(input)).toBe(origin);
  });

  it.each([
    ['plant-1', 'is not a server address'],
    ['ftp://plant-1.example', 'must start with https://'],
    ['http://plant-1.example:8080', 'plain http:// is allowed only for this machine'],
    ['https://user:pw@plant-1.example', 'must not contain a user name or password'],
    ['https://plant-1.example/api/v1', 'without a path'],
    ['https://plant-1.example/?x=1', 'without a path'],
  ])('refuses %s', (input, message) => {
    expect(() => normaliseServerUrl(input)).toThrow(ServerUrlError);
    expect(() => normaliseServerUrl(input)).toThrow(message);
  });
});

describe('profile store', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fo-profiles-'));
    file = join(dir, 'profiles.json');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps profiles across restarts in a file only the user can read', () => {
    const store = new ProfileStore(file, () => Date.parse('2025-03-01T10:00:00Z'));
    const saved = store.save({ name: 'Plant 1 control room', serverUrl: 'https://plant-1.example:8443/' });
    expect(saved).toMatchObject({ name: 'Plant 1 control room', serverUrl: 'https://plant-1.example:8443', pin: null });
    expect(saved.id).toMatch(/^plant-1-control-room-[0-9a-f]{4}$/);
    store.pin(saved.id, FP);
    store.markUsed(saved.id);
    expect(statSync(file).mode & 0o077).toBe(0);

    const reopened = new ProfileStore(file);
    expect(reopened.get(saved.id)?.pin).toEqual({ fingerprint: FP, pinnedAt: '2025-03-01T10:00:00.000Z' });
    expect(reopened.defaultProfile()?.id).toBe(saved.id);
    expect(readFileSync(file, 'utf8')).not.toMatch(/token/i);
  });

  it('drops the pin when the address changes, keeps it on a rename', () => {
    const store = new ProfileStore(file);
    const { id } = store.save({ name: 'Plant 1', serverUrl: 'https://plant-1.example' });
    store.pin(id, FP);
    store.save({ id, name: 'Plant one', serverUrl: 'https://plant-1.example' });
    expect(store.get(id)?.pin?.fingerprint).toBe(FP);
    store.save({ id, name: 'Plant one', serverUrl: 'https://plant-1b.example' });
    expect(store.get(id)?.pin).toBeNull();
  });

  it('never re-pins silently: another fingerprint needs forgetting first', () => {
    const store = new ProfileStore(file);
    const { id } = store.save({ name: 'Plant 1', serverUrl: 'https://plant-1.example' });
    store.pin(id, FP);
    expect(() => store.pin(id, `${'34:'.repeat(31)}34`)).toThrow(/already trusts another certificate/);
    store.forgetPin(id);
    store.pin(id, `${'34:'.repeat(31)}34`);
    expect(store.get(id)?.pin?.fingerprint).toMatch(/^34:/);
  });

  it('refuses duplicate names, unknown ids and bad addresses', () => {
    const store = new ProfileStore(file);
    store.save({ name: 'Plant 1', serverUrl: 'https://plant-1.example' });
    expect(() => store.save({ name: 'plant 1', serverUrl: 'https://other.example' })).toThrow(ProfileError);
    expect(() => store.remove('nope')).toThrow('no profile "nope"');
    expect(() => store.save({ name: 'Plant 2', serverUrl: 'http://plant-2.example' })).toThrow(ServerUrlError);
    expect(store.list()).toHaveLength(1);
  });

  it('picks the only profile as default and forgets the last-used one when removed', () => {
    const store = new ProfileStore(file);
    const a = store.save({ name: 'A', serverUrl: 'https://a.example' });
    expect(store.defaultProfile()?.id).toBe(a.id);
    const b = store.save({ name: 'B', serverUrl: 'https://b.example' });
    expect(store.defaultProfile()).toBeUndefined();
    store.markUsed(b.id);
    expect(store.defaultProfile()?.id).toBe(b.id);
    store.remove(b.id);
    expect(store.defaultProfile()?.id).toBe(a.id);
  });

  it('says which file is damaged instead of starting empty', () => {
    writeFileSync(file, JSON.stringify({ version: 1, lastUsedId: null, profiles: [{ id: 'x', name: 'X', serverUrl: 'nope', pin: null }] }));
    expect(() => new ProfileStore(file)).toThrow(/profiles\.json is not a valid profile list \(\/profiles\/0\/serverUrl/);
  });

  it('makes readable ids', () => {
    expect(profileIdFor('Plant 1 — Hall B', () => 'beef')).toBe('plant-1-hall-b-beef');
    expect(profileIdFor('!!!', () => '0001')).toBe('site-0001');
  });
});
