/**
 * Connection profiles: a name and a site-server origin, plus the pinned certificate once the
 * person trusted it. Kept in `<userData>/profiles.json`; nothing secret lives here (the
 * refresh tokens are in the token vault, encrypted by the OS).
 */
import { randomBytes } from 'node:crypto';
import Type from 'typebox';
import Value from 'typebox/value';
import { FingerprintSchema, ProfileIdSchema, ServerUrlSchema, type ProfileInput } from '../../engine/contract/ipc.js';
import { readJsonFile, writeJsonFile } from './json-file.js';
import { normaliseServerUrl } from './server-url.js';

const StoredProfileSchema = Type.Object({
  id: ProfileIdSchema,
  name: Type.String({ minLength: 1, maxLength: 80 }),
  serverUrl: ServerUrlSchema,
  pin: Type.Union([Type.Object({ fingerprint: FingerprintSchema, pinnedAt: Type.String() }), Type.Null()]),
});
export type StoredProfile = Type.Static<typeof StoredProfileSchema>;

const ProfilesFileSchema = Type.Object({
  version: Type.Literal(1),
  lastUsedId: Type.Union([ProfileIdSchema, Type.Null()]),
  profiles: Type.Array(StoredProfileSchema, { maxItems: 100 }),
});
type ProfilesFile = Type.Static<typeof ProfilesFileSchema>;

export class ProfileError extends Error {
  override readonly name = 'ProfileError';
}

/** A readable id from the name ("Plant 1 control room" → "plant-1-control-room-3f2a"). */
export function profileIdFor(name: string, random: () => string = () => randomBytes(2).toString('hex')): string {
  const base = name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 30)
    .replace(/-+$/, '');
  return `${base === '' ? 'site' : base}-${random()}`;
}

export class ProfileStore {
  private state: ProfilesFile;

  constructor(
    private readonly file: string,
    private readonly clock: () => number = Date.now,
  ) {
    const raw = readJsonFile(file);
    if (raw === undefined) this.state = { version: 1, lastUsedId: null, profiles: [] };
    else if (Value.Check(ProfilesFileSchema, raw)) this.state = raw;
    else {
      const first = [...Value.Errors(ProfilesFileSchema, raw)][0];
      throw new ProfileError(`${file} is not a valid profile list (${first?.instancePath || '/'} ${first?.message ?? ''}); fix or remove it`);
    }
  }

  list(): StoredProfile[] {
    return this.state.profiles.map((profile) => structuredClone(profile));
  }

  get(id: string): StoredProfile | undefined {
    const found = this.state.profiles.find((profile) => profile.id === id);
    return found ? structuredClone(found) : undefined;
  }

  /** The profile to open without --profile: the last used, else the only one, else none. */
  defaultProfile(): StoredProfile | undefined {
    const last = this.state.lastUsedId === null ? undefined : this.get(this.state.lastUsedId);
    return last ?? (this.state.profiles.length === 1 ? this.list()[0] : undefined);
  }

  /** Adds (no id) or renames/re-addresses a profile. A new address drops the pin. */
  save(input: ProfileInput): StoredProfile {
    const serverUrl = normaliseServerUrl(input.serverUrl);
    const name = input.name.trim();
    if (name === '') throw new ProfileError('a profile needs a name');
    if (this.state.profiles.some((profile) => profile.id !== input.id && profile.name.toLowerCase() === name.toLowerCase())) {
      throw new ProfileError(`a profile named "${name}" already exists`);
    }
    let profile: StoredProfile;
    if (input.id === undefined) {
      if (this.state.profiles.length >= 100) throw new ProfileError('at most 100 profiles');
      let id = profileIdFor(name);
      while (this.get(id)) id = profileIdFor(name);
      profile = { id, name, serverUrl, pin: null };
      this.state.profiles.push(profile);
    } else {
      const existing = this.state.profiles.find((p) => p.id === input.id);
      if (!existing) throw new ProfileError(`no profile "${input.id}"`);
      if (existing.serverUrl !== serverUrl) existing.pin = null;
      existing.name = name;
      existing.serverUrl = serverUrl;
      profile = existing;
    }
    this.persist();
    return structuredClone(profile);
  }

  remove(id: string): void {
    const before = this.state.profiles.length;
    this.state.profiles = this.state.profiles.filter((profile) => profile.id !== id);
    if (this.state.profiles.length === before) throw new ProfileError(`no profile "${id}"`);
    if (this.state.lastUsedId === id) this.state.lastUsedId = null;
    this.persist();
  }

  pin(id: string, fingerprint: string): void {
    const profile = this.state.profiles.find((p) => p.id === id);
    if (!profile) throw new ProfileError(`no profile "${id}"`);
    if (profile.pin && profile.pin.fingerprint !== fingerprint) {
      // Re-pinning silently is what TOFU must never do; forgetting is an explicit step.
      throw new ProfileError(`profile "${profile.name}" already trusts another certificate; forget it first`);
    }
    profile.pin = { fingerprint, pinnedAt: new Date(this.clock()).toISOString() };
    this.persist();
  }

  forgetPin(id: string): void {
    const profile = this.state.profiles.find((p) => p.id === id);
    if (!profile) throw new ProfileError(`no profile "${id}"`);
    profile.pin = null;
    this.persist();
  }

  markUsed(id: string): void {
    if (!this.get(id)) throw new ProfileError(`no profile "${id}"`);
    this.state.lastUsedId = id;
    this.persist();
  }

  private persist(): void {
    writeJsonFile(this.file, this.state);
  }
}
