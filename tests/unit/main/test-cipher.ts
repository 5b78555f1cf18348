/**
 * A real cipher for the token vault outside Electron: AES-256-GCM with a key held in memory,
 * standing where safeStorage stands in the app. `rotate()` simulates an OS key rotation.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Cipher } from '../../../main/core/token-vault.js';

export class AesTestCipher implements Cipher {
  private keys = [randomBytes(32)];

  rotate(): void {
    this.keys.unshift(randomBytes(32));
  }

  async encrypt(plainText: string): Promise<Buffer> {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.keys[0] as Buffer, iv);
    const body = Buffer.concat([cipher.update(plainText, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]);
  }

  async decrypt(encrypted: Buffer): Promise<{ text: string; stale: boolean }> {
    for (const [index, key] of this.keys.entries()) {
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, encrypted.subarray(0, 12));
        decipher.setAuthTag(encrypted.subarray(12, 28));
        const text = Buffer.concat([decipher.update(encrypted.subarray(28)), decipher.final()]).toString('utf8');
        return { text, stale: index > 0 };
      } catch {
        // try the older key
      }
    }
    throw new Error('cannot decrypt');
  }
}
