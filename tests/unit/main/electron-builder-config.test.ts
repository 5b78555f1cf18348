/**
 * electron-builder.yml checked the way electron-builder reads it (its own JSON schema,
 * app-builder-lib/scheme.json) plus what this project requires of it, since CI cannot
 * download Electron to run a real build.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../e2e/support/ui-build.js';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
const config = load(readFileSync(join(REPO_ROOT, 'electron-builder.yml'), 'utf8')) as Json;
const schema = JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', 'app-builder-lib', 'scheme.json'), 'utf8')) as object;
const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);

describe('electron-builder.yml', () => {
  it("is valid against electron-builder's own schema", () => {
    const valid = validate(config);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it('would be caught by the schema check if it had a typo', () => {
    expect(validate({ ...config, mac: { ...config.mac, hardenedRuntim: true } })).toBe(false);
    expect(validate({ ...config, linux: { ...config.linux, target: 42 } })).toBe(false);
    expect(validate({ ...config, appid: 'lower-case typo' })).toBe(false);
  });

  it('names the product, targets and icons', () => {
    expect(config.appId).toBe('com.factoryops.controlroom');
    expect(config.productName).toBe('FactoryOps');
    expect(config.linux.target).toEqual(['AppImage', 'deb']);
    expect(config.win.target).toEqual(['nsis']);
    expect(config.mac.target).toEqual(['dmg']);
    for (const icon of ['build/icon.png', 'build/icons/512x512.png', 'build/icons/256x256.png', 'build/icons/32x32.png']) {
      expect(readFileSync(join(REPO_ROOT, icon)).subarray(1, 4).toString()).toBe('PNG');
    }
  });

  it('signs and notarises from the environment only, with a hardened runtime', () => {
    expect(config.mac.hardenedRuntime).toBe(true);
    expect(readFileSync(join(REPO_ROOT, config.mac.entitlements), 'utf8')).toContain('com.apple.security.cs.allow-jit');
    expect(config.win.verifyUpdateCodeSignature).toBe(true);
    expect(existsSync(join(REPO_ROOT, config.afterSign))).toBe(true);
    const text = readFileSync(join(REPO_ROOT, 'electron-builder.yml'), 'utf8');
    expect(text).not.toMatch(/(cscLink|cscKeyPassword|certificatePassword|appleIdPassword)\s*:/);
  });

  it('publishes to the generic site-server feed', () => {
    expect(config.publish.provider).toBe('generic');
    expect(config.publish.url).toMatch(/^https:\/\/[^/]+\/api\/v1\/updates$/);
  });

  it('packs the bundles and the renderer, never node_modules or server code', () => {
    expect(config.files).toEqual(expect.arrayContaining(['dist/electron/**', 'renderer/dist/**', '!node_modules/**']));
    expect(config.files.some((pattern: string) => /server|better-sqlite3/.test(pattern) && !pattern.startsWith('!'))).toBe(false);
    expect(config.extraMetadata.main).toBe('dist/electron/main.mjs');
  });
});

describe('signing hooks', () => {
  const notarize = require(join(REPO_ROOT, 'build', 'notarize.cjs')) as { missingCredentials(env: Record<string, string>): string[]; default(ctx: Json): Promise<Json> };
  const signing = require(join(REPO_ROOT, 'build', 'require-signing.cjs')) as { missingSigning(platform: string, env: Record<string, string>): string[]; default(ctx: Json): Promise<void> };

  it('notarises only with all Apple credentials present, and only on macOS', async () => {
    expect(notarize.missingCredentials({ APPLE_ID: 'a@b.c', APPLE_TEAM_ID: 'T' })).toEqual(['APPLE_APP_SPECIFIC_PASSWORD']);
    expect(notarize.missingCredentials({ APPLE_ID: 'a', APPLE_APP_SPECIFIC_PASSWORD: 'p', APPLE_TEAM_ID: 't' })).toEqual([]);
    expect(await notarize.default({ electronPlatformName: 'linux' })).toEqual({ notarized: false, reason: 'not macOS' });
  });

  it('refuses an unsigned release build and lets development builds through', () => {
    expect(signing.missingSigning('win32', { FACTORYOPS_RELEASE: '1' })).toEqual(['WIN_CSC_LINK (or CSC_LINK) and its password']);
    expect(signing.missingSigning('win32', { FACTORYOPS_RELEASE: '1', WIN_CSC_LINK: 'file.pfx' })).toEqual([]);
    expect(signing.missingSigning('darwin', { FACTORYOPS_RELEASE: '1', CSC_LINK: 'x' })).toEqual(['APPLE_ID', 'APPLE_APP_SPECIFIC_PASSWORD', 'APPLE_TEAM_ID']);
    expect(signing.missingSigning('win32', {})).toEqual([]);
    expect(signing.missingSigning('linux', { FACTORYOPS_RELEASE: '1' })).toEqual([]);
  });
});
