/**
 * A restart loses nothing and sends nothing twice: a sender stopped mid-batch gives back
 * what it had not attempted and a new one (on a reopened store) delivers the rest; rows
 * claimed by a sender that died come back when their lease runs out; two senders on one
 * database never deliver the same row.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SmtpConfig } from '../../../server/config.js';
import type { DeliveryChannel } from '../../../server/notify/channels/channel.js';
import { createEmailChannel } from '../../../server/notify/channels/email.js';
import { OutboxSender } from '../../../server/notify/outbox-sender.js';
import { createNotificationPlanner } from '../../../server/notify/planner.js';
import { openMetaStore } from '../../../server/store/meta/meta-store.js';
import type { Rule } from '../../../server/store/meta/repositories/rules.js';
import { captureLogger, openTempStore, raise, ruleInput, seedPlant, startSmtp, T0, type Plant, type SmtpHandle, type StoreHandle } from './fixtures.js';

const planner = createNotificationPlanner();
const SIX = ['a', 'b', 'c', 'd', 'e', 'f'].map((x) => `${x}@crew.example`);

describe('outbox across restarts', () => {
  let store: StoreHandle;
  let plant: Plant;
  let rule: Rule;
  let smtp: SmtpHandle;
  let smtpConfig: SmtpConfig;
  let now = T0;
  const clock = () => now;
  const toClose: Array<() => unknown> = [];

  beforeAll(async () => {
    store = await openTempStore();
    plant = await seedPlant(store.meta);
    rule = await store.meta.rules.create(plant.factory.id, ruleInput(plant.device.id, { recipients: { emails: SIX } }), null, T0);
    smtp = await startSmtp();
    smtpConfig = { host: '127.0.0.1', port: smtp.port, secure: false, username: null, password: null, from: 'alarms@factoryops.test' };
  });
  afterEach(async () => {
    for (const close of toClose.splice(0)) await close();
    smtp.mails.length = 0;
  });
  afterAll(async () => {
    await smtp.close();
    await store.cleanup();
  });

  function emailChannel(): DeliveryChannel {
    const channel = createEmailChannel(smtpConfig);
    toClose.push(() => channel.close?.());
    return channel;
  }

  const delivered = () => smtp.mails.map((m) => m.rcptTo[0]).sort();

  it('a sender stopped mid-batch finishes what it started, gives the rest back, and a new one sends each once', async () => {
    now = T0;
    const alert = await raise(store.meta, planner, rule, plant.device.id, now);
    const email = emailChannel();
    let attempted = 0;
    let stopping: Promise<void> | undefined;
    const first = new OutboxSender({
      meta: store.meta,
      logger: captureLogger().logger,
      clock,
      concurrency: 1,
      batchSize: 6,
      channels: {
        email: {
          name: 'email',
          async deliver(message) {
            attempted += 1;
            // The shutdown signal arrives while the second message is on its way.
            if (attempted === 2) stopping = first.stop();
            return email.deliver(message);
          },
        },
      },
    });
    first.start();
    await expect.poll(() => stopping !== undefined, { timeout: 10_000 }).toBe(true);
    await stopping;
    expect(attempted).toBe(2);
    expect(smtp.mails).toHaveLength(2);
    const afterStop = await store.meta.outbox.listForAlert(plant.factory.id, alert.id);
    expect(afterStop.filter((r) => r.status === 'sent')).toHaveLength(2);
    // Given back: due now, not at the end of a five-minute lease.
    expect(afterStop.filter((r) => r.status === 'pending').every((r) => r.nextAttemptAt === now)).toBe(true);

    // "Restart": the store is closed and opened again, a new sender takes over.
    const meta = await store.reopen();
    const second = new OutboxSender({ meta, logger: captureLogger().logger, clock, channels: { email: emailChannel() } });
    expect(await second.processDue()).toMatchObject({ claimed: 4, sent: 4 });
    expect((await second.processDue()).claimed).toBe(0);
    expect(delivered()).toEqual(SIX);
    expect(await meta.outbox.outcome(plant.factory.id, alert.id)).toEqual({ pending: 0, sent: 6, failed: 0, skipped: 0 });
    expect((await meta.alerts.get(plant.factory.id, alert.id))?.notificationSent).toBe(true);
  });

  it('rows claimed by a sender that died come back once the lease runs out, and go out once', async () => {
    now = T0 + 60 * 60_000;
    const alert = await raise(store.meta, planner, rule, plant.device.id, now);
    // A sender claims three rows and the process dies before it delivers any.
    const leaseMs = 5 * 60_000;
    const lost = await store.meta.outbox.claimDue(now, leaseMs, 3);
    expect(lost).toHaveLength(3);
    const meta = await store.reopen();
    const next = new OutboxSender({ meta, logger: captureLogger().logger, clock, leaseMs, channels: { email: emailChannel() } });
    // The three leased rows are not touched while the lease holds; the other three go at once.
    expect(await next.processDue()).toMatchObject({ claimed: 3, sent: 3 });
    now += leaseMs - 1;
    expect((await next.processDue()).claimed).toBe(0);
    now += 1;
    expect(await next.processDue()).toMatchObject({ claimed: 3, sent: 3 });
    expect(delivered()).toEqual(SIX);
    expect(await meta.outbox.outcome(plant.factory.id, alert.id)).toEqual({ pending: 0, sent: 6, failed: 0, skipped: 0 });
  });

  it('a sole sender (resumeOnStart) takes up a dead process’s leased rows at once on start', async () => {
    now = T0 + 90 * 60_000;
    const alert = await raise(store.meta, planner, rule, plant.device.id, now);
    expect(await store.meta.outbox.claimDue(now, 2 * 60_000, 6)).toHaveLength(6);
    const meta = await store.reopen();
    const log = captureLogger();
    const next = new OutboxSender({ meta, logger: log.logger, clock, resumeOnStart: true, channels: { email: emailChannel() } });
    next.start();
    toClose.push(() => next.stop());
    // The clock does not move: only the resume makes the leased rows due.
    await expect.poll(() => smtp.mails.length, { timeout: 10_000 }).toBe(6);
    await next.stop();
    expect(delivered()).toEqual(SIX);
    expect(log.events('notification.resumed').map((l) => l.count)).toEqual([6]);
    expect(await meta.outbox.outcome(plant.factory.id, alert.id)).toEqual({ pending: 0, sent: 6, failed: 0, skipped: 0 });
  });

  it('two senders on one database never send the same row', async () => {
    now = T0 + 2 * 60 * 60_000;
    const alert = await raise(store.meta, planner, rule, plant.device.id, now);
    const otherProcess = await openMetaStore({ kind: 'sqlite', file: store.file });
    toClose.push(() => otherProcess.close());
    const options = { logger: captureLogger().logger, clock, batchSize: 2, concurrency: 1 };
    const a = new OutboxSender({ ...options, meta: store.meta, channels: { email: emailChannel() } });
    const b = new OutboxSender({ ...options, meta: otherProcess, channels: { email: emailChannel() } });
    for (let i = 0; i < 4; i++) await Promise.all([a.processDue(), b.processDue()]);
    expect(delivered()).toEqual(SIX);
    expect(await store.meta.outbox.outcome(plant.factory.id, alert.id)).toEqual({ pending: 0, sent: 6, failed: 0, skipped: 0 });
  });
});
