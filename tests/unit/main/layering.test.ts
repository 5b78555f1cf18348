/**
 * main/core/ is the part of the main process that runs without Electron (and is unit-tested
 * here); only main/electron/ and main/index.ts may touch the electron module.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../e2e/support/ui-build.js';
import { updateFeedUrl } from '../../../main/core/update-feed.js';

describe('main process layering', () => {
  it('keeps electron out of main/core', () => {
    const dir = join(REPO_ROOT, 'main', 'core');
    const offenders = readdirSync(dir).filter((file) => /from ['"]electron(-updater)?['"]/.test(readFileSync(join(dir, file), 'utf8')));
    expect(offenders).toEqual([]);
  });

  it('points updates at the site server over HTTPS only', () => {
    expect(updateFeedUrl('https://plant-1.example:8443')).toBe('https://plant-1.example:8443/api/v1/updates');
    expect(updateFeedUrl('http://127.0.0.1:8080')).toBeNull();
  });
});
