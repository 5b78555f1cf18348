/**
 * One Electron session per connection profile (`persist:profile-<id>`): cookies, cache and
 * permissions never mix between sites, and each session knows exactly one remote origin —
 * its site server. The session enforces what the windows rely on:
 *   - the bundle through the custom protocol, with this profile's CSP;
 *   - every permission request (camera, geolocation, notifications, HID, …) denied;
 *   - requests only to the app and the site server;
 *   - CORS answered for the app origin towards the site server (core/cors.ts);
 *   - the site certificate pinned on first use (core/pinning.ts).
 * The profile picker uses a session with no remote origin at all.
 */
import { session as electronSession, type BrowserWindow, type Session } from 'electron';
import type { BundleRoots } from '../core/bundle-files.js';
import { corsRewrite } from '../core/cors.js';
import { buildCsp } from '../core/csp.js';
import { APP_ORIGIN, originOf, streamOriginOf } from '../core/origins.js';
import { decidePin, fingerprintOfPem, type PinDecision } from '../core/pinning.js';
import { permissionDecision } from '../core/permissions.js';
import type { ProfileStore } from '../core/profile-store.js';
import { askFirstUse, warnMismatch } from './trust-prompt.js';
import { serveBundle } from './app-protocol.js';

/** Chromium's answers for setCertificateVerifyProc. */
const ACCEPT = 0;
const REJECT = -2;
const USE_CHROMIUM = -3;

export interface SessionDeps {
  profiles: ProfileStore;
  roots: BundleRoots;
  /** The window a trust question belongs to. */
  focusedWindow(): BrowserWindow | undefined;
  log(event: string, fields: Record<string, unknown>): void;
}

const configured = new Map<string, Session>();

/** Every permission denied, except reaching the site server from the app origin (core/permissions.ts). */
export function denyAllPermissions(session: Session, hasServer = false): void {
  const context = { appOrigin: APP_ORIGIN, hasServer };
  session.setPermissionRequestHandler((contents, permission, callback) => callback(permissionDecision(permission, originOf(contents.getURL()), context)));
  session.setPermissionCheckHandler((_contents, permission, requestingOrigin) => permissionDecision(permission, originOf(requestingOrigin), context));
  session.setDevicePermissionHandler(() => false);
}

/**
 * The certificate check for sessions that talk to profile servers. `profileIds()` names the
 * profiles whose pins apply (one for a window session, the update feed's for the updater).
 */
export function pinCertificates(session: Session, deps: SessionDeps, profileIds: () => string[]): void {
  const pending = new Map<string, Promise<boolean>>();
  const warned = new Set<string>();
  session.setCertificateVerifyProc((request, callback) => {
    const hosts = profileIds()
      .map((id) => deps.profiles.get(id))
      .filter((p) => p !== undefined)
      .map((p) => ({ profileId: p.id, profileName: p.name, hostname: new URL(p.serverUrl).hostname, fingerprint: p.pin?.fingerprint ?? null }));
    let decision: PinDecision;
    try {
      decision = decidePin(request.hostname, fingerprintOfPem(request.certificate.data), hosts);
    } catch (error) {
      deps.log('tls.certificate_unreadable', { host: request.hostname, error: (error as Error).message });
      callback(REJECT);
      return;
    }
    switch (decision.kind) {
      case 'not-ours':
        // Not a profile server (nothing else is allowed to load anyway): Chromium decides.
        callback(USE_CHROMIUM);
        return;
      case 'accept':
        callback(ACCEPT);
        return;
      case 'refuse': {
        deps.log('tls.pin_mismatch', { host: request.hostname, profileId: decision.profileId, pinned: decision.pinned, presented: decision.presented });
        if (!warned.has(decision.presented)) {
          warned.add(decision.presented);
          warnMismatch(decision, request.hostname, deps.focusedWindow());
        }
        callback(REJECT);
        return;
      }
      case 'ask': {
        const key = `${decision.profileId}|${decision.fingerprint}`;
        let answer = pending.get(key);
        if (!answer) {
          answer = askFirstUse(decision, request.hostname, deps.focusedWindow()).then((trusted) => {
            if (trusted) {
              deps.profiles.pin(decision.profileId, decision.fingerprint);
              deps.log('tls.pinned', { host: request.hostname, profileId: decision.profileId, fingerprint: decision.fingerprint });
            }
            pending.delete(key);
            return trusted;
          });
          pending.set(key, answer);
        }
        void answer.then((trusted) => callback(trusted ? ACCEPT : REJECT), () => callback(REJECT));
        return;
      }
    }
  });
}

export function sessionFor(profileId: string | null, deps: SessionDeps): Session {
  const partition = profileId === null ? 'persist:shell' : `persist:profile-${profileId}`;
  const existing = configured.get(partition);
  if (existing) return existing;
  const session = electronSession.fromPartition(partition);
  const profile = profileId === null ? undefined : deps.profiles.get(profileId);
  const server = profile?.serverUrl ?? null;
  serveBundle(session, deps.roots, buildCsp(server));
  denyAllPermissions(session, server !== null);

  const allowed = new Set([APP_ORIGIN, ...(server ? [server, streamOriginOf(server)] : [])]);
  session.webRequest.onBeforeRequest((details, callback) => {
    const origin = originOf(details.url);
    const local = /^(devtools|data|blob|chrome-extension):/.test(details.url);
    callback({ cancel: !local && (origin === null || !allowed.has(origin)) });
  });

  if (server && profile) {
    // Origin of each request, for the response (onHeadersReceived may not carry request headers).
    const origins = new Map<number, string>();
    const filter = { urls: [`${server}/*`] };
    session.webRequest.onBeforeSendHeaders(filter, (details, callback) => {
      const origin = details.requestHeaders.Origin ?? details.requestHeaders.origin;
      if (origin) origins.set(details.id, origin);
      callback({ requestHeaders: details.requestHeaders });
    });
    session.webRequest.onHeadersReceived(filter, (details, callback) => {
      const origin = origins.get(details.id);
      origins.delete(details.id);
      const rewrite = corsRewrite(
        { method: details.method, url: details.url, requestHeaders: { ...(origin ? { origin } : {}) }, responseHeaders: details.responseHeaders ?? {} },
        APP_ORIGIN,
        server,
      );
      callback(rewrite ? { responseHeaders: rewrite.responseHeaders as Record<string, string[]>, ...(rewrite.statusLine ? { statusLine: rewrite.statusLine } : {}) } : {});
    });
    session.webRequest.onErrorOccurred(filter, (details) => origins.delete(details.id));
    pinCertificates(session, deps, () => [profile.id]);
  }
  configured.set(partition, session);
  return session;
}

/** A profile's address changed or it was removed: its session is rebuilt on next use. */
export function forgetSession(profileId: string): void {
  configured.delete(`persist:profile-${profileId}`);
}
