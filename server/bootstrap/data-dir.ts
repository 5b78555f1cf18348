/**
 * The data directory holds everything a site must back up: metadata and series databases,
 * the site certificate and the token-signing secret.
 */
import { randomBytes, X509Certificate } from 'node:crypto';
import { accessSync, chmodSync, constants, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CliError } from '../cli/cli-error.js';

export interface DataDirLayout {
  root: string;
  metaFile: string;
  seriesFile: string;
  tlsDir: string;
  certFile: string;
  keyFile: string;
  jwtSecretFile: string;
}

export function dataDirLayout(root: string): DataDirLayout {
  return {
    root,
    metaFile: join(root, 'factoryops.db'),
    seriesFile: join(root, 'series.db'),
    tlsDir: join(root, 'tls'),
    certFile: join(root, 'tls', 'site-cert.pem'),
    keyFile: join(root, 'tls', 'site-key.pem'),
    jwtSecretFile: join(root, 'jwt-secret'),
  };
}

/** Creates the directory if needed and proves it is writable, or says how to fix it. */
export function prepareDataDir(root: string): DataDirLayout {
  // A file in the way would otherwise surface as mkdir's "EEXIST: file already exists".
  if (existsSync(root) && !statSync(root).isDirectory()) {
    throw new CliError(`data directory ${root} is not a directory. Choose another with --data-dir / FACTORYOPS_DATA_DIR.`);
  }
  try {
    mkdirSync(root, { recursive: true, mode: 0o750 });
  } catch (error) {
    throw new CliError(
      `cannot create data directory ${root}: ${(error as Error).message}. Create it yourself or choose another with --data-dir / FACTORYOPS_DATA_DIR.`,
    );
  }
  if (!statSync(root).isDirectory()) {
    throw new CliError(`data directory ${root} is not a directory. Choose another with --data-dir / FACTORYOPS_DATA_DIR.`);
  }
  try {
    accessSync(root, constants.R_OK | constants.W_OK | constants.X_OK);
  } catch {
    throw new CliError(
      `data directory ${root} is not readable and writable by this user. Fix its permissions (chown/chmod) or choose another with --data-dir.`,
    );
  }
  return dataDirLayout(root);
}

/**
 * The HS256 signing secret for access tokens: 64 random bytes, created once, 0600. A secret
 * found with looser permissions is tightened (it may have been copied by hand).
 */
export function loadOrCreateJwtSecret(layout: DataDirLayout): { secret: Uint8Array; created: boolean } {
  const file = layout.jwtSecretFile;
  if (existsSync(file)) {
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
    const hex = readFileSync(file, 'utf8').trim();
    if (!/^[0-9a-f]{64,}$/.test(hex)) {
      throw new CliError(`${file} does not hold a valid secret. Move it away to have a new one created (all sessions will end).`);
    }
    return { secret: Buffer.from(hex, 'hex'), created: false };
  }
  const secret = randomBytes(64);
  writeFileSync(file, `${secret.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  return { secret, created: true };
}

export function certificateFingerprint(certPem: string): string {
  return new X509Certificate(certPem).fingerprint256;
}
