/**
 * The bundle is served from `factoryops://app/…` rather than file://: a file:// page may read
 * any file the user can, a custom standard scheme has a real origin that CSP, CORS and the
 * navigation lock can name. Registered per session, with the CSP of that session's profile.
 */
import { protocol, type Session } from 'electron';
import { bundleResponse, type BundleRoots } from '../core/bundle-files.js';
import { APP_HOST, APP_SCHEME } from '../core/origins.js';

/** Must run before `app.whenReady()`. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true, codeCache: true } },
  ]);
}

export function serveBundle(session: Session, roots: BundleRoots, csp: string): void {
  if (session.protocol.isProtocolHandled(APP_SCHEME)) session.protocol.unhandle(APP_SCHEME);
  session.protocol.handle(APP_SCHEME, (request) => {
    if (new URL(request.url).host !== APP_HOST) return new Response('not found\n', { status: 404 });
    return bundleResponse(request.url, roots, csp);
  });
}
