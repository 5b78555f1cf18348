import { describe, expect, it } from 'vitest';
import { corsRewrite } from '../../../main/core/cors.js';
import { buildCsp } from '../../../main/core/csp.js';
import { isTrustedSender, navigationDecision, windowOpenDecision } from '../../../main/core/navigation.js';
import { APP_ORIGIN, originOf } from '../../../main/core/origins.js';
import { permissionDecision } from '../../../main/core/permissions.js';

const SERVER = 'https://plant-1.example:8443';
const origins = { app: APP_ORIGIN, server: SERVER };

function directives(csp: string): Map<string, string> {
  return new Map(csp.split('; ').map((d) => [d.split(' ')[0] as string, d.slice(d.indexOf(' ') + 1)]));
}

describe('content security policy of desktop windows', () => {
  it("allows only the bundle's own scripts and the profile's server for connections", () => {
    const csp = directives(buildCsp(SERVER));
    expect(csp.get('default-src')).toBe("'none'");
    expect(csp.get('script-src')).toBe("'self'");
    expect(csp.get('connect-src')).toBe(`'self' ${SERVER} wss://plant-1.example:8443`);
    expect(csp.get('object-src')).toBe("'none'");
    expect(csp.get('frame-ancestors')).toBe("'none'");
    expect(csp.get('base-uri')).toBe("'none'");
    expect(buildCsp(SERVER)).not.toMatch(/unsafe-eval|script-src[^;]*unsafe-inline|\*/);
  });

  it('reaches nothing remote in the profile picker', () => {
    expect(directives(buildCsp(null)).get('connect-src')).toBe("'self'");
  });

  it('maps a loopback http server to ws:// for the stream', () => {
    expect(directives(buildCsp('http://127.0.0.1:8080')).get('connect-src')).toBe("'self' http://127.0.0.1:8080 ws://127.0.0.1:8080");
  });
});

describe('navigation lock', () => {
  it('keeps the window on the bundle', () => {
    expect(navigationDecision(`${APP_ORIGIN}/alarms`, origins)).toBe('allow');
    expect(navigationDecision(`${SERVER}/`, origins)).toBe('deny');
    expect(navigationDecision('https://evil.example/', origins)).toBe('deny');
    expect(navigationDecision('file:///etc/passwd', origins)).toBe('deny');
    expect(navigationDecision('factoryops://other/', origins)).toBe('deny');
    expect(navigationDecision('javascript:alert(1)', origins)).toBe('deny');
  });

  it('opens app pages as app windows, server pages in the browser, nothing else', () => {
    expect(windowOpenDecision(`${APP_ORIGIN}/devices/3`, origins)).toBe('app-window');
    expect(windowOpenDecision(`${SERVER}/api/v1/reports/1/download`, origins)).toBe('external-browser');
    expect(windowOpenDecision('https://evil.example/', origins)).toBe('deny');
    expect(windowOpenDecision('data:text/html,<script>1</script>', origins)).toBe('deny');
    expect(windowOpenDecision('http://plant-1.example:8443/', origins)).toBe('deny');
  });

  it('answers IPC only for frames showing the bundle', () => {
    expect(isTrustedSender(`${APP_ORIGIN}/`, APP_ORIGIN)).toBe(true);
    expect(isTrustedSender(`${SERVER}/`, APP_ORIGIN)).toBe(false);
    expect(isTrustedSender('about:blank', APP_ORIGIN)).toBe(false);
    expect(isTrustedSender(undefined, APP_ORIGIN)).toBe(false);
    expect(originOf('not a url')).toBeNull();
  });
});

describe('CORS answered by the shell for the bundle', () => {
  const preflight = {
    method: 'OPTIONS',
    url: `${SERVER}/api/v1/devices`,
    requestHeaders: { Origin: APP_ORIGIN, 'Access-Control-Request-Headers': 'authorization, content-type' },
    responseHeaders: { 'content-type': ['application/json'] },
  };

  it('turns the server 404 on a preflight into an allowed 200 for the app origin', () => {
    const rewrite = corsRewrite(preflight, APP_ORIGIN, SERVER);
    expect(rewrite?.statusLine).toBe('HTTP/1.1 200 OK');
    expect(rewrite?.responseHeaders['Access-Control-Allow-Origin']).toEqual([APP_ORIGIN]);
    expect(String(rewrite?.responseHeaders['Access-Control-Allow-Headers'])).toContain('authorization');
  });

  it('adds the allow-origin header to ordinary responses without touching the status', () => {
    const rewrite = corsRewrite({ ...preflight, method: 'GET', responseHeaders: { 'access-control-allow-origin': ['*'], 'x-request-id': ['r1'] } }, APP_ORIGIN, SERVER);
    expect(rewrite?.statusLine).toBeUndefined();
    expect(rewrite?.responseHeaders).toMatchObject({ 'Access-Control-Allow-Origin': [APP_ORIGIN], 'x-request-id': ['r1'] });
    expect(rewrite?.responseHeaders).not.toHaveProperty('access-control-allow-origin');
  });

  it('leaves other origins, other servers and unexpected preflight headers alone', () => {
    expect(corsRewrite({ ...preflight, requestHeaders: { Origin: 'https://evil.example' } }, APP_ORIGIN, SERVER)).toBeNull();
    expect(corsRewrite({ ...preflight, url: 'https://other.example/api' }, APP_ORIGIN, SERVER)).toBeNull();
    expect(corsRewrite({ ...preflight, requestHeaders: { Origin: APP_ORIGIN, 'Access-Control-Request-Headers': 'x-evil' } }, APP_ORIGIN, SERVER)).toBeNull();
    expect(corsRewrite({ ...preflight, requestHeaders: {} }, APP_ORIGIN, SERVER)).toBeNull();
  });
});

describe('web permissions', () => {
  const withServer = { appOrigin: APP_ORIGIN, hasServer: true };
  it('denies every device and sensor permission', () => {
    for (const permission of ['media', 'geolocation', 'notifications', 'hid', 'usb', 'serial', 'clipboard-read', 'openExternal', 'fullscreen', 'unknown']) {
      expect(permissionDecision(permission, APP_ORIGIN, withServer)).toBe(false);
    }
  });

  it('lets the app origin reach its site server on the local network, nobody else', () => {
    expect(permissionDecision('local-network-access', APP_ORIGIN, withServer)).toBe(true);
    expect(permissionDecision('loopback-network', APP_ORIGIN, withServer)).toBe(true);
    expect(permissionDecision('local-network-access', 'https://evil.example', withServer)).toBe(false);
    expect(permissionDecision('local-network-access', null, withServer)).toBe(false);
    expect(permissionDecision('local-network-access', APP_ORIGIN, { ...withServer, hasServer: false })).toBe(false);
  });
});
