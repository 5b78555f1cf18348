/**
 * The desktop update feed on a real server: electron-updater's generic provider reads
 * latest*.yml and downloads artifacts (whole, or by byte ranges for differential updates).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isFeedFileName } from '../../../server/api/routes/updates.js';
import { resolveServeConfig } from '../../../server/config.js';
import { errorCode, startTestServer, type TestServer } from '../../helpers/test-server.js';

const LATEST_LINUX = 'version: 0.2.0\nfiles:\n  - url: FactoryOps-0.2.0.AppImage\n    sha512: abc\n    size: 4096\npath: FactoryOps-0.2.0.AppImage\nsha512: abc\nreleaseDate: 2025-03-01T10:00:00.000Z\n';

describe('desktop update feed', () => {
  let server: TestServer;
  let dir: string;
  const artifact = Buffer.from(Array.from({ length: 4096 }, (_, i) => i % 251));

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fo-updates-'));
    writeFileSync(join(dir, 'latest-linux.yml'), LATEST_LINUX);
    writeFileSync(join(dir, 'latest.yml'), 'version: 0.2.0\npath: FactoryOps Setup 0.2.0.exe\n');
    writeFileSync(join(dir, 'FactoryOps-0.2.0.AppImage'), artifact);
    writeFileSync(join(dir, 'FactoryOps Setup 0.2.0.exe'), Buffer.from('MZ-installer'));
    writeFileSync(join(dir, 'notes.txt'), 'not part of a feed');
    writeFileSync(join(dir, '.hidden.yml'), 'marker: HIDDEN-CONTENT');
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'sub', 'latest.yml'), 'NESTED-CONTENT');
    writeFileSync(join(dir, '..', `fo-outside-${process.pid}.yml`), 'OUTSIDE-CONTENT');
    server = await startTestServer({ config: { updatesDir: dir } });
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(join(dir, '..', `fo-outside-${process.pid}.yml`), { force: true });
  });

  it('serves latest-linux.yml uncached as YAML, without signing in', async () => {
    const res = await server.api('GET', '/api/v1/updates/latest-linux.yml');
    expect(res.status).toBe(200);
    expect(res.text).toBe(LATEST_LINUX);
    expect(res.headers.get('content-type')).toBe('text/yaml; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('accept-ranges')).toBe('bytes');
  });

  it('serves artifacts whole and by byte range, with their type', async () => {
    const whole = await fetch(`${server.url}/api/v1/updates/FactoryOps-0.2.0.AppImage`);
    expect(whole.status).toBe(200);
    expect(whole.headers.get('content-type')).toBe('application/vnd.appimage');
    expect(Buffer.from(await whole.arrayBuffer()).equals(artifact)).toBe(true);

    const part = await fetch(`${server.url}/api/v1/updates/FactoryOps-0.2.0.AppImage`, { headers: { range: 'bytes=1000-1099' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe('bytes 1000-1099/4096');
    expect(part.headers.get('content-type')).toBe('application/vnd.appimage');
    expect(Buffer.from(await part.arrayBuffer()).equals(artifact.subarray(1000, 1100))).toBe(true);

    const beyond = await fetch(`${server.url}/api/v1/updates/FactoryOps-0.2.0.AppImage`, { headers: { range: 'bytes=5000-6000' } });
    expect(beyond.status).toBe(416);
  });

  it('serves names with spaces (the Windows installer) and HEAD requests', async () => {
    const res = await fetch(`${server.url}/api/v1/updates/FactoryOps%20Setup%200.2.0.exe`, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/vnd.microsoft.portable-executable');
    expect(res.headers.get('content-length')).toBe('12');
  });

  it.each([
    '/api/v1/updates/notes.txt',
    '/api/v1/updates/.hidden.yml',
    '/api/v1/updates/sub/latest.yml',
    '/api/v1/updates/sub%2Flatest.yml',
    `/api/v1/updates/..%2Ffo-outside-${process.pid}.yml`,
    `/api/v1/updates/%2e%2e/fo-outside-${process.pid}.yml`,
    '/api/v1/updates/latest-mac.yml',
    '/api/v1/updates/',
  ])('answers 404 with the API error shape for %s', async (path) => {
    const res = await server.api('GET', path);
    expect(res.status).toBe(404);
    expect(errorCode(res)).toBe('NOT_FOUND');
    expect(res.text).not.toMatch(/HIDDEN-CONTENT|NESTED-CONTENT|OUTSIDE-CONTENT/);
  });

  it('accepts only single, known, safe file names', () => {
    expect(isFeedFileName('latest.yml')).toBe(true);
    expect(isFeedFileName('FactoryOps-0.2.0-arm64.dmg.blockmap')).toBe(true);
    expect(isFeedFileName('../latest.yml')).toBe(false);
    expect(isFeedFileName('a/b.yml')).toBe(false);
    expect(isFeedFileName('.latest.yml')).toBe(false);
    expect(isFeedFileName('run.sh')).toBe(false);
  });

  it('defaults the folder to <data-dir>/updates and takes --updates-dir or FACTORYOPS_UPDATES_DIR', () => {
    expect(resolveServeConfig(['--data-dir', '/srv/fo'], {}).updatesDir).toBe('/srv/fo/updates');
    expect(resolveServeConfig(['--data-dir', '/srv/fo'], { FACTORYOPS_UPDATES_DIR: '/srv/feed' }).updatesDir).toBe('/srv/feed');
    expect(resolveServeConfig(['--updates-dir', '/mnt/feed'], { FACTORYOPS_UPDATES_DIR: '/srv/feed' }).updatesDir).toBe('/mnt/feed');
  });
});

describe('update feed without a folder', () => {
  it('answers 404 with a sentence when nothing is published', async () => {
    const server = await startTestServer({ config: { updatesDir: join(tmpdir(), `fo-no-updates-${process.pid}`) } });
    try {
      const res = await server.api('GET', '/api/v1/updates/latest.yml');
      expect(res.status).toBe(404);
      expect(res.json.error.message).toBe('no updates are published on this server');
    } finally {
      await server.close();
    }
  });
});
