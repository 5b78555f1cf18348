/**
 * The desktop update feed: `GET /api/v1/updates/<file>` serves what electron-builder
 * publishes for the generic provider — `latest.yml`, `latest-linux.yml`, `latest-mac.yml`
 * and the artifacts they name (installers, AppImage, blockmaps) — from the updates directory
 * (`--updates-dir`, default `<data-dir>/updates`). A site admin copies a signed release there;
 * desktop clients (main/electron/updates.ts) poll it over the pinned TLS connection.
 *
 * - Public: installers hold nothing secret and the client checks signatures and SHA-512s;
 *   clients must be able to update before anyone signs in.
 * - File names only: letters, digits, `._-+ ` and no leading dot; no folders, so no traversal.
 *   Unknown kinds of file are not served, even if present.
 * - Range requests (206) for artifacts: electron-updater's differential download fetches
 *   the blocks it lacks, and a resumed download continues where it stopped.
 * - `latest*.yml` is never cached (a new release must be seen at once); artifacts carry their
 *   version in the name and may be cached.
 */
import { existsSync } from 'node:fs';
import { extname } from 'node:path';
import fastifyStatic from '@fastify/static';
import { ApiError } from '../api-error.js';
import type { App } from '../http-server.js';

export interface UpdateRoutesOptions {
  /** Absolute path of the updates directory. */
  dir: string;
}

/** Content types by extension; anything else is not part of a feed and is not served. */
export const UPDATE_CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.yml': 'text/yaml; charset=utf-8',
  '.yaml': 'text/yaml; charset=utf-8',
  '.exe': 'application/vnd.microsoft.portable-executable',
  '.appimage': 'application/vnd.appimage',
  '.deb': 'application/vnd.debian.binary-package',
  '.rpm': 'application/x-rpm',
  '.dmg': 'application/x-apple-diskimage',
  '.zip': 'application/zip',
  '.blockmap': 'application/octet-stream',
  '.nupkg': 'application/octet-stream',
};

const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._+ -]{0,199}$/;

/** A file name the feed may serve: one path segment of safe characters and a known kind. */
export function isFeedFileName(name: string): boolean {
  return SAFE_NAME.test(name) && !name.includes('..') && UPDATE_CONTENT_TYPES[extname(name).toLowerCase()] !== undefined;
}

function fileNameOf(url: string): string | null {
  const path = url.split('?')[0] ?? '';
  const raw = path.slice(path.lastIndexOf('/updates/') + '/updates/'.length);
  try {
    return decodeURIComponent(raw);
  } catch {
    return null;
  }
}

export async function updateRoutes(app: App, options: UpdateRoutesOptions): Promise<void> {
  await app.register(async (feed) => {
    feed.addHook('onRequest', async (request) => {
      const name = fileNameOf(request.url);
      if (name === null || !isFeedFileName(name)) throw new ApiError('NOT_FOUND', 'no such update file');
      if (!existsSync(options.dir)) throw new ApiError('NOT_FOUND', 'no updates are published on this server');
    });
    feed.addHook('onSend', async (request, reply, payload) => {
      if (reply.statusCode !== 200 && reply.statusCode !== 206) return payload;
      const name = fileNameOf(request.url) ?? '';
      const type = UPDATE_CONTENT_TYPES[extname(name).toLowerCase()];
      if (type) void reply.header('content-type', type);
      void reply.header('cache-control', /^latest.*\.ya?ml$/i.test(name) ? 'no-cache' : 'public, max-age=3600');
      return payload;
    });
    await feed.register(fastifyStatic, {
      root: options.dir,
      prefix: '/updates/',
      decorateReply: false,
      wildcard: true,
      index: false,
      list: false,
      dotfiles: 'deny',
      acceptRanges: true,
      cacheControl: false,
      etag: true,
      lastModified: true,
      // Only files directly in the folder (the name check above already refuses slashes).
      allowedPath: (pathName) => isFeedFileName(pathName.replace(/^\/+/, '')),
    });
  });
}
