/**
 * Refresh tokens per profile, encrypted by a `Cipher` before they touch the disk
 * (`<userData>/vault/<profile>.bin`, mode 0600). In the app the cipher is Electron's
 * safeStorage (Keychain, DPAPI, libsecret/kwallet); the vault itself does not know Electron,
 * so it is tested with a real cipher in Node. Nothing goes to localStorage or plain files.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync, existsSync, renameSync } from 'node:fs';
import { join } from 'node:path';

export interface Cipher {
  encrypt(plainText: string): Promise<Buffer>;
  /** `stale`: the OS key was rotated; the vault re-encrypts. */
  decrypt(encrypted: Buffer): Promise<{ text: string; stale: boolean }>;
}

export class TokenVault {
  constructor(
    private readonly dir: string,
    private readonly cipher: Cipher,
  ) {}

  private fileFor(profileId: string): string {
    if (!/^[a-z0-9][a-z0-9-]{0,39}$/.test(profileId)) throw new Error(`bad profile id "${profileId}"`);
    return join(this.dir, `${profileId}.bin`);
  }

  has(profileId: string): boolean {
    return existsSync(this.fileFor(profileId));
  }

  async load(profileId: string): Promise<string | null> {
    const file = this.fileFor(profileId);
    let encrypted: Buffer;
    try {
      encrypted = readFileSync(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    try {
      const { text, stale } = await this.cipher.decrypt(encrypted);
      if (stale) await this.save(profileId, text);
      return text;
    } catch {
      // Another user's or machine's vault (copied profile folder): the person signs in again.
      rmSync(file, { force: true });
      return null;
    }
  }

  async save(profileId: string, token: string | null): Promise<void> {
    const file = this.fileFor(profileId);
    if (token === null) {
      rmSync(file, { force: true });
      return;
    }
    const encrypted = await this.cipher.encrypt(token);
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const temp = `${file}.${process.pid}.tmp`;
    writeFileSync(temp, encrypted, { mode: 0o600 });
    renameSync(temp, file);
  }
}
