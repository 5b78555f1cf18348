/**
 * The site certificate: self-signed on first start so the server speaks TLS out of the box.
 * Clients pin its SHA-256 fingerprint (trust on first use), so it is logged at every start.
 * A site may replace the two PEM files with a certificate from its own CA.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { generate } from 'selfsigned';
import { certificateFingerprint, type DataDirLayout } from './data-dir.js';

export interface SiteCertificate {
  cert: string;
  key: string;
  fingerprint256: string;
  created: boolean;
}

export async function loadOrCreateSiteCertificate(layout: DataDirLayout, now: Date): Promise<SiteCertificate> {
  if (existsSync(layout.certFile) && existsSync(layout.keyFile)) {
    const cert = readFileSync(layout.certFile, 'utf8');
    const key = readFileSync(layout.keyFile, 'utf8');
    return { cert, key, fingerprint256: certificateFingerprint(cert), created: false };
  }
  mkdirSync(layout.tlsDir, { recursive: true, mode: 0o750 });
  const host = hostname();
  const notAfter = new Date(now);
  notAfter.setFullYear(notAfter.getFullYear() + 10);
  const pems = await generate([{ name: 'commonName', value: host }, { name: 'organizationName', value: 'FactoryOps site' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: now,
    notAfterDate: notAfter,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: host },
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
        ],
      },
    ],
  });
  writeFileSync(layout.keyFile, pems.private, { mode: 0o600 });
  writeFileSync(layout.certFile, pems.cert, { mode: 0o644 });
  return { cert: pems.cert, key: pems.private, fingerprint256: certificateFingerprint(pems.cert), created: true };
}
