/** Random secrets and their stored form. */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** URL-safe random token with `bytes` bytes of entropy. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/**
 * SHA-256 hex. Right for high-entropy secrets (API keys, refresh and invite tokens): they
 * cannot be guessed, so a slow hash buys nothing and would slow every device sign-in.
 * Passwords use argon2id instead (passwords.ts).
 */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

export function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** Device API keys look like `fk_<43 chars>`; the prefix helps people tell keys apart. */
export function newDeviceApiKey(): { key: string; hash: string; prefix: string } {
  const key = `fk_${randomToken(32)}`;
  return { key, hash: sha256Hex(key), prefix: key.slice(0, 10) };
}
