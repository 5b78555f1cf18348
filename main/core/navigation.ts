/**
 * Where a privileged window may go. The window has the preload bridge, so it must only ever
 * show the app bundle: navigating it to the site server (or anywhere) would hand the bridge to
 * remote content. Links to the site server open in the person's browser; anything else is
 * refused.
 */
import { originOf, type WindowOrigins } from './origins.js';

export type NavigationDecision = 'allow' | 'deny';
export type WindowOpenDecision = 'app-window' | 'external-browser' | 'deny';

/** will-navigate / will-redirect: the bundle only. */
export function navigationDecision(url: string, origins: WindowOrigins): NavigationDecision {
  return originOf(url) === origins.app ? 'allow' : 'deny';
}

/**
 * window.open / target=_blank: another app window (same hardening, same profile) for the
 * bundle; the site server's pages (reports, docs) in the system browser; nothing else.
 */
export function windowOpenDecision(url: string, origins: WindowOrigins): WindowOpenDecision {
  const origin = originOf(url);
  if (origin === null) return 'deny';
  if (origin === origins.app) return 'app-window';
  if (origin === origins.server && /^https:/.test(origin)) return 'external-browser';
  return 'deny';
}

/** IPC is answered only for frames showing our bundle (a foreign frame gets nothing). */
export function isTrustedSender(frameUrl: string | undefined, appOrigin: string): boolean {
  return frameUrl !== undefined && originOf(frameUrl) === appOrigin;
}
