/**
 * Serves the control-room UI (renderer/dist, built by `npm run build:ui`) at `/`, so a browser
 * on the site network gets the same client as the desktop app.
 *
 * - `/assets/*`: Vite's content-hashed files, cached for a year (`immutable`): a new build has
 *   new names, so a cached file is never wrong.
 * - `/` and any other path outside the API: `index.html` (SPA fallback), never cached, so a
 *   console picks up a new build on its next load. Paths under `/api/` and `/health` that no
 *   route matched keep the API's JSON 404.
 * - A strict Content-Security-Policy for the UI: scripts, styles, fonts and connections only
 *   from this origin (the stream is same-origin; CSP 3 `'self'` covers ws:/wss: to it), style
 *   attributes allowed (React, Blueprint's popovers and uPlot position elements with them),
 *   no inline or injected <style>/<script>, no framing, no plugins.
 * - Without a build, `/` answers 503 with a plain sentence saying how to build it; the API
 *   works regardless.
 */
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { App } from './http-server.js';

export interface UiOptions {
  /** The built renderer; default: renderer/dist of this package. */
  distDir?: string;
}

export const UI_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "style-src-attr 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const IMMUTABLE = 'public, max-age=31536000, immutable';
const NOT_BUILT = 'The FactoryOps control-room UI is not built on this server. Run `npm run build:ui` (npm ci does it too) and reload this page. The API under /api/v1 works without it.\n';

/** renderer/dist of the package this file belongs to (from source or from dist/, by walking up to package.json). */
export function defaultUiDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'renderer'))) return join(dir, 'renderer', 'dist');
    dir = dirname(dir);
  }
  return join(process.cwd(), 'renderer', 'dist');
}

/** Paths the UI must never answer for: the API keeps its own JSON 404. */
function isApiPath(url: string): boolean {
  return url === '/api' || url.startsWith('/api/') || url === '/health' || url.startsWith('/health/') || url.startsWith('/health?');
}

/** A top-level file of the build (favicon.ico, robots.txt), by a name that cannot leave the folder. */
const TOP_LEVEL_FILE = /^\/([A-Za-z0-9][A-Za-z0-9._-]{0,99})$/;

export async function uiRoutes(app: App, options: UiOptions = {}): Promise<void> {
  const root = options.distDir ?? defaultUiDir();
  const indexFile = join(root, 'index.html');

  await app.register(fastifyStatic, {
    root: join(root, 'assets'),
    prefix: '/assets/',
    // The folder is read per request, so a build made after start is served too.
    wildcard: true,
    decorateReply: false,
    index: false,
    dotfiles: 'deny',
    cacheControl: false,
    setHeaders: (res) => {
      res.setHeader('cache-control', IMMUTABLE);
      res.setHeader('content-security-policy', UI_CSP);
    },
  });

  /** index.html, or the 503 sentence when the UI is not built. Read per request: a new build shows on the next load. */
  async function indexPage(): Promise<UiResponse> {
    try {
      const html = await readFile(indexFile);
      return { status: 200, headers: { 'cache-control': 'no-cache', 'content-security-policy': UI_CSP, 'content-type': 'text/html; charset=utf-8' }, body: html };
    } catch {
      return { status: 503, headers: { 'cache-control': 'no-store', 'content-type': 'text/plain; charset=utf-8' }, body: NOT_BUILT };
    }
  }

  app.get('/', async (_request, reply) => {
    const page = await indexPage();
    return reply.code(page.status).headers(page.headers).send(page.body);
  });

  app.get('/*', async (request, reply) => {
    const path = request.url.split('?')[0] ?? '/';
    if (isApiPath(path)) return reply.callNotFound();
    const top = TOP_LEVEL_FILE.exec(path);
    if (top && top[1] !== 'index.html') {
      const file = join(root, top[1] as string);
      const info = await stat(file).catch(() => null);
      if (info?.isFile()) {
        return reply
          .headers({ 'cache-control': 'no-cache', 'content-security-policy': UI_CSP, 'content-type': contentTypeOf(file) })
          .send(await readFile(file));
      }
    }
    const page = await indexPage();
    return reply.code(page.status).headers(page.headers).send(page.body);
  });
}

interface UiResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer | string;
}

const TYPES: Record<string, string> = {
  '.ico': 'image/x-icon',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.txt': 'text/plain; charset=utf-8',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.html': 'text/html; charset=utf-8',
};

function contentTypeOf(file: string): string {
  const dot = file.lastIndexOf('.');
  return TYPES[dot >= 0 ? file.slice(dot).toLowerCase() : ''] ?? 'application/octet-stream';
}
