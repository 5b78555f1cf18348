/**
 * GET /health, GET /api/v1/metrics (Prometheus text), the headers every response carries,
 * and the site certificate over real TLS: the certificate a client sees is the one whose
 * fingerprint the server reports, and it survives a restart.
 */
import { request as httpsRequest } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificateFingerprint } from '../../../server/bootstrap/data-dir.js';
import { startTestServer, type TestServer } from '../../helpers/test-server.js';

describe('health and metrics', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('GET /health reports status, version, time and each dependency, without signing in', async () => {
    const res = await server.api('GET', '/health');
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ status: 'healthy', version: expect.stringMatching(/^\d+\.\d+\.\d+/), dependencies: { metadata: 'ok' } });
    expect(res.json.timestamp).toBe(new Date(server.clock.now()).toISOString());
    for (const state of Object.values(res.json.dependencies)) expect(state).toBe('ok');
  });

  it('GET /api/v1/metrics serves Prometheus text with request durations by route template', async () => {
    const session = await server.login();
    await server.api('GET', '/api/v1/devices/12345', { token: session.accessToken });
    await server.api('GET', '/api/v1/devices/67890', { token: session.accessToken });
    const res = await server.api('GET', '/api/v1/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(res.text).toContain('# TYPE factoryops_api_request_duration_seconds histogram');
    expect(res.text).toMatch(/factoryops_api_request_duration_seconds_count\{method="GET",route="\/api\/v1\/devices\/:id",status_code="404"\} 2/);
    expect(res.text).toMatch(/factoryops_api_request_duration_seconds_bucket\{[^}]*route="\/api\/v1\/auth\/login"[^}]*status_code="200"/);
    // Raw ids never become label values (unbounded cardinality).
    expect(res.text).not.toContain('12345');
    expect(res.text).toContain('# TYPE factoryops_login_failures_total counter');
    expect(res.text).toMatch(/^factoryops_process_/m);
    expect(res.text).toMatch(/^factoryops_series_uncompacted_values \d+$/m);
    expect(res.text).toMatch(/^factoryops_series_compaction_failures 0$/m);
  });

  it('tags every response with a request id and security headers', async () => {
    const res = await server.api('GET', '/health');
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    const echoed = await server.api('GET', '/health', { headers: { 'x-request-id': 'client-req-42' } });
    expect(echoed.headers.get('x-request-id')).toBe('client-req-42');
    const hostile = await server.api('GET', '/health', { headers: { 'x-request-id': 'bad id\twith "stuff"' } });
    expect(hostile.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('TLS with the site certificate', () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'fo-tls-'));
  });
  afterAll(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  function getHealth(url: string): Promise<{ status: number; fingerprint256: string; hsts: string | undefined; body: string }> {
    return new Promise((resolve, reject) => {
      const req = httpsRequest(`${url}/health`, { rejectUnauthorized: false }, (res) => {
        const socket = res.socket as TLSSocket;
        const fingerprint256 = socket.getPeerCertificate().fingerprint256;
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, fingerprint256, hsts: res.headers['strict-transport-security'] as string | undefined, body }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  it('serves HTTPS with the certificate whose fingerprint it reports, the same after a restart', async () => {
    const first = await startTestServer({ dataDir, config: { tls: true } });
    let fingerprint: string;
    try {
      expect(first.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      fingerprint = first.running.fingerprint256;
      expect(fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
      expect(certificateFingerprint(readFileSync(first.running.layout.certFile, 'utf8'))).toBe(fingerprint);
      const res = await getHealth(first.url);
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body).status).toBe('healthy');
      expect(res.fingerprint256).toBe(fingerprint);
      expect(res.hsts).toMatch(/max-age=\d+/);
    } finally {
      await first.close();
    }
    const second = await startTestServer({ dataDir, config: { tls: true } });
    try {
      expect(second.running.fingerprint256).toBe(fingerprint);
      expect((await getHealth(second.url)).fingerprint256).toBe(fingerprint);
    } finally {
      await second.close();
    }
  });

  it('refuses plain HTTP clients on the HTTPS port', async () => {
    const server = await startTestServer({ config: { tls: true } });
    try {
      const plain = server.url.replace('https://', 'http://');
      const outcome = await fetch(`${plain}/health`).then(
        (r) => `status ${r.status}`,
        () => 'refused',
      );
      expect(outcome).not.toBe('status 200');
    } finally {
      await server.close();
    }
  });
});
