/**
 * Sign-in throttling: per account and per client address, 429 with Retry-After, the right
 * password refused while throttled, and bursts of parallel guesses counted too. The throttle
 * lives in memory, so one metadata dialect is enough; each block gets its own server (all
 * requests come from 127.0.0.1, so they share one address counter).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { errorCode, startTestServer, type TestServer } from '../../helpers/test-server.js';

const WINDOW_MS = 15 * 60_000;

describe('login throttling', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  const attempt = (s: TestServer, email: string, password: string, slug = 'default') =>
    s.api('POST', '/api/v1/auth/login', { body: { factory_slug: slug, email, password } });

  it('answers the 6th failure for an account with 429 and Retry-After, even for the right password', async () => {
    server = await startTestServer();
    const { adminEmail, adminPassword } = server.factory;
    for (let i = 1; i <= 5; i++) {
      const res = await attempt(server, adminEmail, `wrong-${i}`);
      expect(res.status, `attempt ${i}`).toBe(401);
    }
    const sixth = await attempt(server, adminEmail, 'wrong-6');
    expect(sixth.status).toBe(429);
    expect(errorCode(sixth)).toBe('TOO_MANY_REQUESTS');
    const retryAfter = Number(sixth.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(WINDOW_MS / 1000);

    const right = await attempt(server, adminEmail, adminPassword);
    expect(right.status).toBe(429);
    expect(right.headers.get('retry-after')).toMatch(/^\d+$/);
    // The e-mail's case does not open a second counter.
    expect((await attempt(server, adminEmail.toUpperCase(), adminPassword)).status).toBe(429);

    // Another person at the same address is not locked out by this account's failures.
    const colleague = await server.createUser(server.factory.id, 'colleague@factoryops.local', 'operator');
    expect((await attempt(server, colleague.email, colleague.password)).status).toBe(200);

    // Once the failures leave the window, the right password works again.
    server.clock.advance(retryAfter * 1000);
    expect((await attempt(server, adminEmail, adminPassword)).status).toBe(200);
  });

  it('forgets an account’s failures after a successful sign-in', async () => {
    server = await startTestServer();
    const { adminEmail, adminPassword } = server.factory;
    for (let i = 0; i < 4; i++) expect((await attempt(server, adminEmail, 'nope-nope')).status).toBe(401);
    expect((await attempt(server, adminEmail, adminPassword)).status).toBe(200);
    for (let i = 0; i < 4; i++) expect((await attempt(server, adminEmail, 'nope-nope')).status).toBe(401);
    expect((await attempt(server, adminEmail, adminPassword)).status).toBe(200);
  });

  it('counts failures per address across accounts and factories', async () => {
    server = await startTestServer();
    await server.createFactory('plant-b');
    // 30 failures from one address, spread so that no single account reaches its own limit.
    for (let i = 0; i < 30; i++) {
      const res = await attempt(server, `spray-${i % 10}@example.com`, 'guess-guess', i % 2 === 0 ? 'default' : 'plant-b');
      expect(res.status, `attempt ${i}`).toBe(401);
    }
    const blocked = await attempt(server, server.factory.adminEmail, server.factory.adminPassword);
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    // A forged X-Forwarded-For does not make a new address (no proxy is trusted).
    const forged = await server.api('POST', '/api/v1/auth/login', {
      body: { factory_slug: 'default', email: server.factory.adminEmail, password: server.factory.adminPassword },
      headers: { 'x-forwarded-for': '203.0.113.7' },
    });
    expect(forged.status).toBe(429);
    // Unknown factories count as well, and are throttled before the lookup.
    expect((await attempt(server, 'x@example.com', 'guess-guess', 'no-such-plant')).status).toBe(429);
    server.clock.advance(WINDOW_MS);
    expect((await attempt(server, server.factory.adminEmail, server.factory.adminPassword)).status).toBe(200);
  });

  it('does not let a burst of parallel guesses past the limit', async () => {
    server = await startTestServer();
    const s = server;
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => attempt(s, s.factory.adminEmail, `parallel-${i}`)));
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((x) => x === 401).length).toBeLessThanOrEqual(5);
    expect(statuses.filter((x) => x === 429).length).toBeGreaterThanOrEqual(15);
    expect(statuses.every((x) => x === 401 || x === 429)).toBe(true);
    expect((await attempt(s, s.factory.adminEmail, s.factory.adminPassword)).status).toBe(429);
  });

  it('counts throttled and failed attempts in the metrics', async () => {
    server = await startTestServer();
    for (let i = 0; i < 6; i++) await attempt(server, server.factory.adminEmail, 'wrong-wrong');
    await attempt(server, 'nobody@example.com', 'wrong-wrong');
    const text = (await server.api('GET', '/api/v1/metrics')).text;
    expect(text).toMatch(/factoryops_login_failures_total\{reason="bad_password"\} 5\b/);
    expect(text).toMatch(/factoryops_login_failures_total\{reason="throttled"\} 1\b/);
    expect(text).toMatch(/factoryops_login_failures_total\{reason="unknown_user"\} 1\b/);
  });
});
