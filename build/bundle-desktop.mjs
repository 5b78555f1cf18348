/* global console */
/**
 * `npm run build:desktop`: bundles the Electron main process and the preload into
 * dist/electron/ with esbuild, ready for electron-builder (which packs dist/electron and
 * renderer/dist only, so no server module and no node_modules end up in the app):
 *   main.mjs     ESM, everything but `electron` inlined (electron-updater, typebox)
 *   preload.cjs  CommonJS: a sandboxed preload may require only `electron`
 *   shell/       the profile picker page and the tray icon
 * tsc -b type-checks the same sources; this step only packages them.
 */
import { build } from 'esbuild';
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'electron');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const common = { bundle: true, platform: 'node', target: 'node22', sourcemap: 'linked', external: ['electron'], logLevel: 'warning', legalComments: 'none' };
await build({
  ...common,
  entryPoints: [join(root, 'main', 'index.ts')],
  outfile: join(out, 'main.mjs'),
  format: 'esm',
  // CommonJS dependencies inlined into an ES module still call require() for Node built-ins.
  banner: { js: "import { createRequire as __foCreateRequire } from 'node:module'; const require = __foCreateRequire(import.meta.url);" },
});
await build({ ...common, entryPoints: [join(root, 'preload', 'index.ts')], outfile: join(out, 'preload.cjs'), format: 'cjs', platform: 'browser', target: 'chrome130' });
cpSync(join(root, 'resources', 'shell'), join(out, 'shell'), { recursive: true });
cpSync(join(root, 'build', 'icons', '32x32.png'), join(out, 'shell', 'tray.png'));
console.log(`desktop bundle written to ${out}`);
