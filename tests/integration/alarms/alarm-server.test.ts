/**
 * The whole alarm path of a running server, as a site sees it: a rule made over HTTP, real
 * MQTT telemetry into the embedded broker, the alarm raised by the worker-thread evaluation,
 * pushed on the WebSocket as a delta, mailed through a real SMTP server, acknowledged over
 * HTTP, cleared by telemetry, journalled; and a restart in the middle of an episode that
 * neither loses the alarm nor opens a second one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectAs, createDevice, telemetry, telemetryTopicOf, waitFor, type CreatedDevice } from '../../helpers/ingest.js';
import { startTestServer, TestClock, type Json, type Session, type TestServer } from '../../helpers/test-server.js';
import { createHmac } from 'node:crypto';
import { openStream, type StreamClient } from '../../helpers/stream.js';
import { startSmtp, startWebhookReceiver, type SmtpHandle } from '../notify/fixtures.js';

async function openAlarmStream(server: TestServer, token: string): Promise<StreamClient> {
  const stream = await openStream(server.url, token);
  stream.send({ type: 'subscribe', alarms: true });
  await waitFor(() => stream.messages.find((m) => m.type === 'subscribed'), 'alarm subscription');
  return stream;
}

function publish(client: MqttClient, topic: string, metrics: Record<string, number>): Promise<void> {
  return new Promise((resolve, reject) => client.publish(topic, telemetry(metrics), { qos: 1 }, (error) => (error ? reject(error) : resolve())));
}

describe('alarms on a running server', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'fo-alarm-server-'));
  const clock = new TestClock();
  let smtp: SmtpHandle;
  let server: TestServer;
  let admin: Session;
  let device: CreatedDevice;
  let mqtt: MqttClient;
  let topic: string;
  let ruleId: number;

  const start = async () => {
    server = await startTestServer({
      dataDir,
      clock,
      config: { smtp: { host: '127.0.0.1', port: smtp.port, secure: false, username: null, password: null, from: 'FactoryOps <alarms@factoryops.test>' } },
    });
    admin = await server.login();
  };

  beforeAll(async () => {
    smtp = await startSmtp();
    await start();
    device = await createDevice(server.api, admin.accessToken, 'press-7', { name: 'Press 7' });
    topic = telemetryTopicOf(server.factory.slug, device.deviceKey);
    mqtt = await connectAs(server.running.mqttPort!, server.factory.slug, device);
    // Discover the parameter first, so the rule's parameter check knows it.
    await publish(mqtt, topic, { oil_temp: 60 });
    await waitFor(async () => (await server.api('GET', `/api/v1/devices/${device.id}`, { token: admin.accessToken })).json.data?.parameters?.length > 0, 'parameter discovered');
  });

  afterAll(async () => {
    mqtt?.end(true);
    await server?.close();
    await smtp?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('raises once from MQTT telemetry, pushes the delta, mails the admin, and clears and closes', async () => {
    const created = await server.api('POST', '/api/v1/rules', {
      token: admin.accessToken,
      body: {
        name: 'Oil too hot',
        scope: 'device',
        device_ids: [device.id],
        conditions: { operator: 'AND', conditions: [{ parameter: 'oil_temp', operator: 'gt', value: 80 }] },
        severity: 'critical',
        cooldown_minutes: 0,
        deadband: 2,
        notification_channels: { email: true },
      },
    });
    expect(created.status, created.text).toBe(201);
    ruleId = created.json.data.id;

    const stream = await openAlarmStream(server, admin.accessToken);
    try {
      await publish(mqtt, topic, { oil_temp: 91.5 });
      const raised = await waitFor(() => stream.messages.find((m) => m.type === 'alarm' && m.delta.to_state === 'active_unacknowledged'), 'alarm delta on the stream');
      expect(raised.delta.alarm).toMatchObject({ rule_id: ruleId, device_id: device.id, severity: 'critical' });
      const alertId: number = raised.delta.alarm.id;

      // Still true: no second alarm.
      await publish(mqtt, topic, { oil_temp: 95 });
      await publish(mqtt, topic, { oil_temp: 93 });
      await server.running.alarms.idle();
      const list = await server.api('GET', `/api/v1/alerts?device_id=${device.id}`, { token: admin.accessToken });
      expect(list.status).toBe(200);
      expect(list.json.data.filter((a: Json) => a.rule_id === ruleId)).toHaveLength(1);

      const mail = await waitFor(() => smtp.mails.find((m) => m.rcptTo.includes(server.factory.adminEmail)), 'alarm e-mail');
      expect(mail.subject).toMatch(/Oil too hot/);
      // The relay's 250 reply comes after the fixture records the mail; the sender marks the alarm then.
      await waitFor(async () => (await server.running.meta.alerts.get(server.factory.id, alertId))?.notificationSent === true, 'notification_sent recorded');

      const ack = await server.api('PATCH', `/api/v1/alerts/${alertId}/acknowledge`, { token: admin.accessToken, body: { comment: 'checking the cooler' } });
      expect(ack.status, ack.text).toBe(200);
      expect(ack.json.data.state).toBe('active_acknowledged');
      await waitFor(() => stream.messages.find((m) => m.type === 'alarm' && m.delta.to_state === 'active_acknowledged'), 'ack delta');

      // Inside the deadband (80 - 2): stays active. Below it: clears, and (acknowledged) closes.
      await publish(mqtt, topic, { oil_temp: 79 });
      await server.running.alarms.idle();
      expect((await server.api('GET', `/api/v1/alerts/${alertId}`, { token: admin.accessToken })).json.data.state).toBe('active_acknowledged');
      await publish(mqtt, topic, { oil_temp: 70 });
      await waitFor(async () => (await server.api('GET', `/api/v1/alerts/${alertId}`, { token: admin.accessToken })).json.data.state === 'normal', 'alarm closed');

      const journal = await server.api('GET', `/api/v1/alerts/${alertId}/journal`, { token: admin.accessToken });
      expect(journal.status).toBe(200);
      const entries = journal.json.data as Json[];
      expect(entries.map((e) => e.to_state)).toEqual(['active_unacknowledged', 'active_acknowledged', 'normal']);
      expect(entries[1]).toMatchObject({ comment: 'checking the cooler' });
      expect(entries[1].actor).toContain(server.factory.adminEmail);
      const seqs = stream.messages.filter((m) => m.type === 'alarm').map((m) => m.delta.seq as number);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(new Set(seqs).size).toBe(seqs.length);
    } finally {
      stream.close();
    }
  });

  it('keeps an open alarm across a restart and never opens a second one for the same episode', async () => {
    await publish(mqtt, topic, { oil_temp: 99 });
    const open = await waitFor(async () => {
      const res = await server.api('GET', `/api/v1/alerts?device_id=${device.id}&state=active_unacknowledged`, { token: admin.accessToken });
      return res.json.data.find((a: Json) => a.rule_id === ruleId);
    }, 'second episode raised');
    const hotMails = () => smtp.mails.filter((m) => m.subject.includes('Oil too hot')).length;
    await waitFor(() => hotMails() === 2, 'the second episode mailed');

    mqtt.end(true);
    await server.close();
    await start();
    mqtt = await connectAs(server.running.mqttPort!, server.factory.slug, device);

    await publish(mqtt, topic, { oil_temp: 101 });
    await publish(mqtt, topic, { oil_temp: 100 });
    await server.running.alarms.idle();
    const after = await server.api('GET', `/api/v1/alerts?device_id=${device.id}`, { token: admin.accessToken });
    const episodes = after.json.data.filter((a: Json) => a.rule_id === ruleId && a.state !== 'normal');
    expect(episodes).toHaveLength(1);
    expect(episodes[0].id).toBe(open.id);
    expect(episodes[0].state).toBe('active_unacknowledged');

    // The journal sequence goes on from where it was; the alarm is still acknowledgeable.
    const ack = await server.api('PATCH', `/api/v1/alerts/${open.id}/acknowledge`, { token: admin.accessToken, body: {} });
    expect(ack.status, ack.text).toBe(200);
    // One mail per episode: the restart sent nothing twice.
    await server.running.alarms.idle();
    expect(hotMails()).toBe(2);
  });

  it('sends a signed webhook configured through the factory settings', async () => {
    const receiver = await startWebhookReceiver();
    try {
      const secret = 'webhook-secret-0123456789';
      const unsigned = await server.api('PATCH', '/api/v1/factory', { token: admin.accessToken, body: { webhook_url: receiver.url } });
      expect(unsigned.status).toBe(400);
      const set = await server.api('PATCH', '/api/v1/factory', { token: admin.accessToken, body: { webhook_url: receiver.url, webhook_secret: secret } });
      expect(set.status, set.text).toBe(200);
      expect(set.json.data).toMatchObject({ webhook_url: receiver.url, has_webhook_secret: true });
      expect(set.text).not.toContain(secret);

      const rule = await server.api('POST', '/api/v1/rules', {
        token: admin.accessToken,
        body: {
          name: 'Oil pressure low',
          scope: 'device',
          device_ids: [device.id],
          conditions: { parameter: 'oil_temp', operator: 'lt', value: 10 },
          severity: 'high',
          notification_channels: { webhook: true },
        },
      });
      expect(rule.status, rule.text).toBe(201);
      await publish(mqtt, topic, { oil_temp: 5 });
      const call = await waitFor(() => receiver.calls[0], 'webhook call');
      const expected = `sha256=${createHmac('sha256', secret).update(call.raw, 'utf8').digest('hex')}`;
      expect(call.headers['x-factoryops-signature']).toBe(expected);
      expect(call.raw).toContain('Oil pressure low');
    } finally {
      await receiver.close();
    }
  });

  it('lets a viewer read alarms but not acknowledge them', async () => {
    const viewer = await server.createUser(server.factory.id, 'viewer@plant.example', 'viewer');
    const session = await server.login({ email: viewer.email, password: viewer.password });
    const list = await server.api('GET', '/api/v1/alerts', { token: session.accessToken });
    expect(list.status).toBe(200);
    const id = list.json.data[0].id;
    const ack = await server.api('PATCH', `/api/v1/alerts/${id}/acknowledge`, { token: session.accessToken, body: {} });
    expect(ack.status).toBe(403);
  });
});
