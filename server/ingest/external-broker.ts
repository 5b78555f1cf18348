/**
 * External broker mode (EMQX, Mosquitto, HiveMQ): the server is a subscriber. It uses a
 * shared subscription ($share/factoryops/…) so several server nodes split the load, and
 * MQTT 5 when the broker speaks it. QoS 1 messages are acknowledged only after they are
 * stored: mqtt.js sends PUBACK when `handleMessage` calls back, and we call back from the
 * pipeline's durable callback. Device authentication and topic ACLs are the broker's job
 * here (configure it to give each device only its own topics).
 */
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { parseTopic, SPARKPLUG_TOPIC_FILTER, TELEMETRY_TOPIC_FILTER } from '../../engine/telemetry/topic.js';
import type { Logger } from '../observe/logger.js';
import type { BrokerHandlers } from './embedded-broker.js';

export interface ExternalBrokerOptions {
  url: string;
  clientId: string;
  /** Shared-subscription group; null subscribes plainly (one server node only). */
  shareGroup: string | null;
  logger: Logger;
  handlers: BrokerHandlers;
  rejectUnauthorized?: boolean;
}

export interface ExternalBroker {
  publish(topic: string, payload: Buffer, qos: 0 | 1): Promise<void>;
  connected(): boolean;
  close(): Promise<void>;
}

export async function connectExternalBroker(options: ExternalBrokerOptions): Promise<ExternalBroker> {
  const { logger, handlers } = options;
  const clientOptions: IClientOptions = {
    clientId: options.clientId,
    protocolVersion: 5,
    // A persistent session keeps QoS 1 messages queued at the broker while we restart.
    clean: false,
    properties: { sessionExpiryInterval: 3600 },
    reconnectPeriod: 2000,
    connectTimeout: 10_000,
    rejectUnauthorized: options.rejectUnauthorized ?? true,
  };
  const client: MqttClient = mqtt.connect(options.url, clientOptions);

  // Called by mqtt.js for every PUBLISH; PUBACK (QoS 1) is sent when `done` is called.
  client.handleMessage = (packet, done) => {
    const topic = parseTopic(packet.topic);
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    const finish = (error?: Error) => {
      // An error leaves the message un-acknowledged so the broker redelivers it.
      if (error) logger.warn({ event: 'mqtt.external_store_failed', err: error.message }, 'message not stored; broker will redeliver');
      else done();
    };
    if (topic?.kind === 'telemetry') return handlers.telemetry(null, topic, payload, packet.qos, finish);
    if (topic?.kind === 'sparkplug') return handlers.sparkplug(null, topic, payload, packet.qos, finish);
    handlers.refused('topic_not_allowed');
    done();
  };

  // JSON telemetry is shared between server nodes. Sparkplug is not: its sequence numbers and
  // aliases only make sense when one subscriber sees all of a node's messages (duplicates
  // across nodes are harmless: the series store ignores a repeated (series, timestamp)).
  const filters = [options.shareGroup ? `$share/${options.shareGroup}/${TELEMETRY_TOPIC_FILTER}` : TELEMETRY_TOPIC_FILTER, SPARKPLUG_TOPIC_FILTER];
  client.on('connect', (connack) => {
    logger.info({ event: 'mqtt.external_connected', sessionPresent: connack.sessionPresent }, 'connected to external broker');
    client.subscribe(filters, { qos: 1 }, (error, granted) => {
      if (error) logger.error({ event: 'mqtt.external_subscribe_failed', err: error.message }, 'subscribe failed');
      else logger.info({ event: 'mqtt.external_subscribed', granted: granted?.map((g) => `${g.topic}:${g.qos}`) }, 'subscribed');
    });
  });
  client.on('error', (error) => logger.warn({ event: 'mqtt.external_error', err: error.message }, 'external broker error'));
  client.on('offline', () => logger.warn({ event: 'mqtt.external_offline' }, 'external broker unreachable; retrying'));

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no connection to ${redact(options.url)} within 10 s`)), 10_000);
    client.once('connect', () => {
      clearTimeout(timer);
      resolve();
    });
  }).catch(async (error: unknown) => {
    await client.endAsync(true);
    throw error;
  });

  return {
    publish: (topic, payload, qos) => client.publishAsync(topic, payload, { qos }).then(() => undefined),
    connected: () => client.connected,
    close: () => client.endAsync(),
  };
}

function redact(url: string): string {
  return url.replace(/:[^:@/]*@/, ':***@');
}
