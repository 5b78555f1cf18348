/**
 * Content-Security-Policy of the desktop windows. Stricter than the server's UI policy
 * (server/api/ui.ts): the bundle is ours, so `default-src 'none'` and everything named; the
 * only remote party is the profile's site server (API over fetch, the stream over WebSocket).
 * Style attributes stay allowed because React, Blueprint's popovers and uPlot position
 * elements with them; injected <style>/<script> do not run.
 */
import { streamOriginOf } from './origins.js';

/** `serverOrigin` null: a window with no profile yet (the profile picker) reaches nothing remote. */
export function buildCsp(serverOrigin: string | null): string {
  const connect = serverOrigin === null ? "connect-src 'self'" : `connect-src 'self' ${serverOrigin} ${streamOriginOf(serverOrigin)}`;
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "style-src-attr 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    connect,
    "worker-src 'self' blob:",
    "manifest-src 'self'",
    "media-src 'none'",
    "object-src 'none'",
    "frame-src 'none'",
    "child-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
