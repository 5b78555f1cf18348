/**
 * The renderer bundle runs at factoryops://app and calls the site server cross-origin with
 * `fetch` (JSON bodies, an Authorization header), which makes Chromium send a CORS preflight.
 * The site server is a plain same-origin API, so the shell answers for it: for responses of
 * the profile's server to requests from the app origin, it adds the Access-Control headers,
 * and turns the preflight's status into 200 (the server answers OPTIONS with 404, which would
 * fail the preflight before the headers count). Requests from any other origin are untouched,
 * so this opens the server to our bundle only, never to web pages.
 */

export type HeaderMap = Record<string, string[] | string>;

export interface CorsRequest {
  method: string;
  url: string;
  /** Headers the renderer sent (Origin, Access-Control-Request-Headers). */
  requestHeaders: HeaderMap;
  responseHeaders: HeaderMap;
}

export interface CorsRewrite {
  responseHeaders: HeaderMap;
  /** Set for a preflight: the status line Chromium should see. */
  statusLine?: string;
}

const ALLOWED_METHODS = 'GET, POST, PUT, PATCH, DELETE, OPTIONS';
const ALLOWED_HEADERS = ['authorization', 'content-type', 'x-request-id', 'accept', 'accept-language'];

function header(headers: HeaderMap, name: string): string | undefined {
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  if (key === undefined) return undefined;
  const value = headers[key];
  return Array.isArray(value) ? value[0] : value;
}

function withoutCors(headers: HeaderMap): HeaderMap {
  return Object.fromEntries(Object.entries(headers).filter(([k]) => !k.toLowerCase().startsWith('access-control-')));
}

/**
 * Returns the rewritten headers, or null to leave the response alone (not our server, not
 * our origin, or a preflight asking for headers we never send).
 */
export function corsRewrite(request: CorsRequest, appOrigin: string, serverOrigin: string): CorsRewrite | null {
  let target: string;
  try {
    target = new URL(request.url).origin;
  } catch {
    return null;
  }
  if (target !== serverOrigin) return null;
  const origin = header(request.requestHeaders, 'origin');
  if (origin !== appOrigin) return null;
  const headers: HeaderMap = {
    ...withoutCors(request.responseHeaders),
    'Access-Control-Allow-Origin': [appOrigin],
    Vary: ['Origin'],
    'Access-Control-Expose-Headers': ['x-request-id, retry-after, content-disposition'],
  };
  if (request.method.toUpperCase() !== 'OPTIONS') return { responseHeaders: headers };
  const asked = (header(request.requestHeaders, 'access-control-request-headers') ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter((h) => h !== '');
  if (asked.some((h) => !ALLOWED_HEADERS.includes(h))) return null;
  return {
    responseHeaders: {
      ...headers,
      'Access-Control-Allow-Methods': [ALLOWED_METHODS],
      'Access-Control-Allow-Headers': [ALLOWED_HEADERS.join(', ')],
      'Access-Control-Max-Age': ['600'],
    },
    statusLine: 'HTTP/1.1 200 OK',
  };
}
