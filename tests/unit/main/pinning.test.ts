import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:tls';
import { generate } from 'selfsigned';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decidePin, fingerprintOfPem, firstUseMessage, mismatchMessage, type PinnedHost } from '../../../main/core/pinning.js';

async function certificate(commonName: string): Promise<{ cert: string; key: string }> {
  const pems = await generate([{ name: 'commonName', value: commonName }], { keyType: 'ec', curve: 'P-256', algorithm: 'sha256' });
  return { cert: pems.cert, key: pems.private };
}

/** What a real TLS client sees for a server's certificate: PEM (as Electron's Certificate.data) and its SHA-256. */
function presented(port: number): Promise<{ pem: string; fingerprint256: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      const peer = socket.getPeerX509Certificate();
      socket.end();
      if (!peer) reject(new Error('no certificate'));
      else resolve({ pem: peer.toString(), fingerprint256: peer.fingerprint256 });
    });
    socket.once('error', reject);
  });
}

describe('certificate fingerprints', () => {
  let server: ReturnType<typeof createServer>;
  let site: { cert: string; key: string };

  beforeAll(async () => {
    site = await certificate('plant-1.example');
    server = createServer({ cert: site.cert, key: site.key }, (_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('are the SHA-256 that a TLS client sees for the server, in "AB:CD:…" form', async () => {
    const seen = await presented((server.address() as AddressInfo).port);
    expect(fingerprintOfPem(seen.pem)).toBe(seen.fingerprint256);
    expect(fingerprintOfPem(site.cert)).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  });

  it('differ for another certificate of the same name', async () => {
    const other = await certificate('plant-1.example');
    expect(fingerprintOfPem(other.cert)).not.toBe(fingerprintOfPem(site.cert));
  });

  it('refuse something that is not a certificate', () => {
    expect(() => fingerprintOfPem('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----')).toThrow();
  });
});

describe('trust on first use', () => {
  const A = `${'AA:'.repeat(31)}AA`;
  const B = `${'BB:'.repeat(31)}BB`;
  const fresh: PinnedHost = { profileId: 'plant-1', profileName: 'Plant 1', hostname: 'plant-1.example', fingerprint: null };
  const pinned: PinnedHost = { ...fresh, fingerprint: A };

  it('asks on the first connection, showing the fingerprint', () => {
    const decision = decidePin('plant-1.example', A, [fresh]);
    expect(decision).toEqual({ kind: 'ask', profileId: 'plant-1', profileName: 'Plant 1', fingerprint: A });
    if (decision.kind !== 'ask') throw new Error('unreachable');
    expect(firstUseMessage(decision, 'plant-1.example').detail).toContain(A);
  });

  it('accepts the pinned certificate, host names compared case-insensitively', () => {
    expect(decidePin('PLANT-1.example', A, [pinned])).toEqual({ kind: 'accept', profileId: 'plant-1' });
  });

  it('refuses a different certificate later, with both fingerprints in the warning', () => {
    const decision = decidePin('plant-1.example', B, [pinned]);
    expect(decision).toEqual({ kind: 'refuse', profileId: 'plant-1', profileName: 'Plant 1', pinned: A, presented: B });
    if (decision.kind !== 'refuse') throw new Error('unreachable');
    const { title, detail } = mismatchMessage(decision, 'plant-1.example');
    expect(title).toMatch(/changed.*refused/);
    expect(detail).toContain(A);
    expect(detail).toContain(B);
  });

  it('refuses rather than asks when one profile of the host is pinned and another is not', () => {
    expect(decidePin('plant-1.example', B, [{ ...fresh, profileId: 'plant-1-b' }, pinned]).kind).toBe('refuse');
  });

  it('leaves hosts of no profile to Chromium', () => {
    expect(decidePin('example.org', A, [pinned])).toEqual({ kind: 'not-ours' });
  });
});
