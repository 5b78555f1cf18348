/**
 * An invitation by e-mail through a real SMTP server: the mail carries the link, the link's
 * token sets the password, and the invitee signs in. With the relay down the invite still
 * succeeds and says it was not sent (the link is in the response for the admin to pass on).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type Session, type TestServer } from '../../helpers/test-server.js';
import { freePort, startSmtp, type SmtpHandle } from '../notify/fixtures.js';

describe('invitations by e-mail', () => {
  let smtp: SmtpHandle;
  let server: TestServer;
  let admin: Session;

  beforeAll(async () => {
    smtp = await startSmtp();
    server = await startTestServer({
      config: { smtp: { host: '127.0.0.1', port: smtp.port, secure: false, username: null, password: null, from: 'FactoryOps <noreply@factoryops.test>' } },
    });
    admin = await server.login();
  });
  afterAll(async () => {
    await server?.close();
    await smtp?.close();
  });

  it('mails the link; the token in it sets the password and the invitee signs in', async () => {
    const res = await server.api('POST', '/api/v1/users/invite', { token: admin.accessToken, body: { email: 'lead@plant.example', role: 'operator' } });
    expect(res.status, res.text).toBe(201);
    expect(res.json.data.invite_sent).toBe(true);
    const mail = smtp.mails.find((m) => m.rcptTo.includes('lead@plant.example'));
    expect(mail?.subject).toContain('invited');
    const link = /https?:\/\/\S+accept-invite\?token=(\S+)/.exec(mail?.text ?? '');
    expect(link, mail?.text).not.toBeNull();
    const token = decodeURIComponent(link![1]!);
    expect(token).toBe(res.json.data.invite_token);

    const accepted = await server.api('POST', '/api/v1/users/accept-invite', { body: { token, password: 'a long new passphrase 42' } });
    expect(accepted.status, accepted.text).toBe(200);
    const session = await server.login({ email: 'lead@plant.example', password: 'a long new passphrase 42' });
    expect(session.userId).toBe(res.json.data.id);
    // Used once only.
    expect((await server.api('POST', '/api/v1/users/accept-invite', { body: { token, password: 'another passphrase 42' } })).status).toBe(400);
  });
});

describe('invitations while the mail relay is down', () => {
  it('still invites, says the mail was not sent and returns the link', async () => {
    const port = await freePort();
    const server = await startTestServer({ config: { smtp: { host: '127.0.0.1', port, secure: false, username: null, password: null, from: 'noreply@factoryops.test' } } });
    try {
      const admin = await server.login();
      const res = await server.api('POST', '/api/v1/users/invite', { token: admin.accessToken, body: { email: 'night@plant.example', role: 'viewer' } });
      expect(res.status, res.text).toBe(201);
      expect(res.json.data.invite_sent).toBe(false);
      expect(res.json.data.invite_link).toContain('/accept-invite?token=');
    } finally {
      await server.close();
    }
  });
});
