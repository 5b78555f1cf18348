/** Password hashing with argon2id (OWASP's first choice); parameters travel in the PHC string. */
import { hash, verify } from '@node-rs/argon2';

// OWASP 2024 minimum for argon2id: m=19 MiB, t=2, p=1. Raised memory a little for a server.
const OPTIONS = { algorithm: 2 /* Algorithm.Argon2id (a const enum, not importable here) */, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

export async function verifyPassword(hashed: string, password: string): Promise<boolean> {
  try {
    return await verify(hashed, password);
  } catch {
    return false;
  }
}

/**
 * Verifying against this when the account does not exist keeps a failed sign-in for an
 * unknown e-mail as slow as one for a known e-mail (no account enumeration by timing).
 */
let dummyHash: Promise<string> | undefined;
export async function burnPasswordCheck(password: string): Promise<void> {
  dummyHash ??= hashPassword('factoryops-timing-equaliser');
  await verifyPassword(await dummyHash, password);
}
