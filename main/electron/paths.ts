/** Where the shell keeps its files and finds its bundle (packaged or from the repository). */
import { app } from 'electron';
import { join } from 'node:path';
import type { BundleRoots } from '../core/bundle-files.js';

export interface ShellPaths {
  profilesFile: string;
  windowStateFile: string;
  vaultDir: string;
  bundle: BundleRoots;
  preload: string;
}

export function shellPaths(): ShellPaths {
  const userData = app.getPath('userData');
  // app.getAppPath() is the asar (packaged) or the repository root (`electron .`).
  const appRoot = app.getAppPath();
  return {
    profilesFile: join(userData, 'profiles.json'),
    windowStateFile: join(userData, 'window-state.json'),
    vaultDir: join(userData, 'vault'),
    bundle: { renderer: join(appRoot, 'renderer', 'dist'), shell: join(appRoot, 'dist', 'electron', 'shell') },
    preload: join(appRoot, 'dist', 'electron', 'preload.cjs'),
  };
}
