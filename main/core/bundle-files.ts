/**
 * Answers requests for the app's own pages from disk: `factoryops://app/<path>` maps to the
 * built renderer (renderer/dist) and `factoryops://app/__shell/<file>` to the shell's own
 * pages (the profile picker). Used by `protocol.handle` in main and by the browser test, so
 * both serve the bundle the same way.
 *
 * Only files inside the root are served: the path is decoded once, must not contain `..`,
 * backslashes or NUL, and the resolved file must still lie under the root. Paths without an
 * extension fall back to index.html (the renderer routes on the client). Every answer carries
 * the window's CSP, so a page cannot be shown without it.
 */
import { readFile, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';

export interface BundleRoots {
  /** renderer/dist */
  renderer: string;
  /** The shell's own static pages. */
  shell: string;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.eot': 'application/vnd.ms-fontobject',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};

export type BundleTarget = { kind: 'file'; file: string; contentType: string } | { kind: 'missing'; reason: string };

export const SHELL_PREFIX = '/__shell/';

/** Maps a request URL (already known to be of the app origin) to a file under a root. */
export function resolveBundleFile(requestUrl: string, roots: BundleRoots): BundleTarget {
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(requestUrl).pathname);
  } catch {
    return { kind: 'missing', reason: 'malformed URL' };
  }
  if (pathname.includes('\0') || pathname.includes('\\') || pathname.split('/').some((part) => part === '..')) {
    return { kind: 'missing', reason: 'path leaves the bundle' };
  }
  let root = roots.renderer;
  let relative = pathname.replace(/^\/+/, '');
  if (pathname.startsWith(SHELL_PREFIX)) {
    root = roots.shell;
    relative = pathname.slice(SHELL_PREFIX.length);
  }
  const extension = extname(relative).toLowerCase();
  // Client-side routes (/alarms, /devices/3) are the single page; files have extensions.
  if (relative === '' || extension === '') {
    relative = 'index.html';
  }
  const type = CONTENT_TYPES[extname(relative).toLowerCase()];
  if (type === undefined) return { kind: 'missing', reason: `no content type for ${extname(relative) || 'a file without extension'}` };
  const base = resolve(root);
  const file = resolve(base, relative);
  if (file !== base && !file.startsWith(base + sep)) return { kind: 'missing', reason: 'path leaves the bundle' };
  return { kind: 'file', file, contentType: type };
}

/** A fetch Response for the request: the file with its type and the CSP, or a 404. */
export async function bundleResponse(requestUrl: string, roots: BundleRoots, csp: string): Promise<Response> {
  const target = resolveBundleFile(requestUrl, roots);
  const common = { 'content-security-policy': csp, 'x-content-type-options': 'nosniff', 'cache-control': 'no-cache' };
  if (target.kind === 'file') {
    try {
      const info = await stat(target.file);
      if (info.isFile()) {
        const body = await readFile(target.file);
        return new Response(new Uint8Array(body), { status: 200, headers: { ...common, 'content-type': target.contentType } });
      }
    } catch {
      // fall through to 404
    }
  }
  return new Response('not found\n', { status: 404, headers: { ...common, 'content-type': 'text/plain; charset=utf-8' } });
}

/** Where the built renderer is relative to the packaged or development app. */
export function rendererDistFrom(appPath: string): string {
  return join(appPath, 'renderer', 'dist');
}
