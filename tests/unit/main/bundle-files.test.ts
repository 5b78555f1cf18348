import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleResponse, resolveBundleFile } from '../../../main/core/bundle-files.js';
import { APP_ORIGIN } from '../../../main/core/origins.js';

describe('serving the bundle through the app protocol', () => {
  let root: string;
  let roots: { renderer: string; shell: string };
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'fo-bundle-'));
    roots = { renderer: join(root, 'dist'), shell: join(root, 'shell') };
    mkdirSync(join(roots.renderer, 'assets'), { recursive: true });
    mkdirSync(roots.shell, { recursive: true });
    writeFileSync(join(roots.renderer, 'index.html'), '<!doctype html><title>app</title>');
    writeFileSync(join(roots.renderer, 'assets', 'index-abc123.js'), 'console.log(1)');
    writeFileSync(join(roots.shell, 'profiles.html'), '<title>profiles</title>');
    writeFileSync(join(root, 'secret.txt'), 'outside the bundle');
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('serves files with their type and the CSP, and the page for client routes', async () => {
    const js = await bundleResponse(`${APP_ORIGIN}/assets/index-abc123.js`, roots, "default-src 'none'");
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('content-security-policy')).toBe("default-src 'none'");
    expect(js.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await js.text()).toBe('console.log(1)');
    for (const path of ['/', '/alarms', '/devices/3']) {
      const page = await bundleResponse(`${APP_ORIGIN}${path}`, roots, 'x');
      expect(await page.text()).toContain('<title>app</title>');
    }
  });

  it("serves the shell's own pages under /__shell/", async () => {
    expect(await (await bundleResponse(`${APP_ORIGIN}/__shell/profiles.html`, roots, 'x')).text()).toContain('profiles');
  });

  it.each(['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt', '/assets/%5c..%5csecret.txt', '/a%00.js', '/__shell/../../secret.txt'])('never leaves the bundle: %s', async (path) => {
    const response = await bundleResponse(`${APP_ORIGIN}${path}`, roots, 'x');
    expect(response.status).toBe(404);
    expect(await response.text()).not.toContain('outside the bundle');
  });

  it('answers 404 for missing files and unknown types', async () => {
    expect((await bundleResponse(`${APP_ORIGIN}/assets/missing.js`, roots, 'x')).status).toBe(404);
    expect(resolveBundleFile(`${APP_ORIGIN}/tool.exe`, roots)).toEqual({ kind: 'missing', reason: 'no content type for .exe' });
  });
});
