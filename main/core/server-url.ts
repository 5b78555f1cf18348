/**
 * A profile's server address, checked and normalised to an origin. HTTPS is required, because
 * the token and every alarm travel over it; plain HTTP is allowed only to this machine
 * (a local test server or a TLS-terminating proxy on the same host).
 */
export class ServerUrlError extends Error {
  override readonly name = 'ServerUrlError';
}

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

export function normaliseServerUrl(input: string): string {
  let url: URL;
  try {
    url = new URL(input.trim());
  } catch {
    throw new ServerUrlError(`"${input}" is not a server address; write it like https://plant-1.example:8443`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ServerUrlError(`the server address must start with https:// (got ${url.protocol})`);
  if (url.protocol === 'http:' && !LOOPBACK.test(url.hostname)) {
    throw new ServerUrlError(`plain http:// is allowed only for this machine; use https://${url.host}`);
  }
  if (url.username !== '' || url.password !== '') throw new ServerUrlError('the server address must not contain a user name or password');
  if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '') {
    throw new ServerUrlError('the server address is the site server itself (scheme, host and port), without a path');
  }
  return url.origin;
}

export function isLoopbackHttp(origin: string): boolean {
  const url = new URL(origin);
  return url.protocol === 'http:' && LOOPBACK.test(url.hostname);
}
