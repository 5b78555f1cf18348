/**
 * The embedded MQTT broker (Aedes, MQTT 3.1.1) for the one-host size. Devices sign in with
 * their credentials and may publish only their own topics. A QoS 1 PUBACK is released only
 * after the values are committed: Aedes sends PUBACK when authorizePublish calls back, and
 * we call back from the pipeline's durable callback.
 *
 * Listeners: plain MQTT on `port`; optionally MQTT over WebSocket (`wsPort`, path /mqtt) and
 * MQTT over TLS with the site certificate (`tlsPort`). All three feed the same broker, so
 * sign-in, topic rules and acknowledgements are the same whichever way a device connects.
 */
import type { IncomingMessage } from 'node:http';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { WebSocketServer, createWebSocketStream } from 'ws';
import { Aedes, type AuthenticateError, type Client, type PublishPacket, type Subscription } from 'aedes';
import { parseTopic, type SparkplugTopic, type TelemetryTopic } from '../../engine/telemetry/topic.js';
import type { Logger } from '../observe/logger.js';
import type { DeviceAuthFailure, DeviceSession } from './device-auth.js';
import { RateLimitedLog } from './rate-limited-log.js';

export interface BrokerHandlers {
  authenticate(username: string | undefined, password: string | undefined): Promise<DeviceSession | DeviceAuthFailure>;
  /** JSON telemetry from an authorised device; call `done` once durable (releases PUBACK). */
  telemetry(session: DeviceSession | null, topic: TelemetryTopic, payload: Buffer, qos: number, done: (error?: Error) => void): void;
  /** Sparkplug B message from an edge node. */
  sparkplug(session: DeviceSession | null, topic: SparkplugTopic, payload: Buffer, qos: number, done: (error?: Error) => void): void;
  refused(reason: string): void;
}

export interface EmbeddedBrokerOptions {
  host: string;
  port: number;
  allowAnonymous: boolean;
  logger: Logger;
  clock: () => number;
  handlers: BrokerHandlers;
  /** MQTT over WebSocket on this port (0 = any free port); null/undefined = off. */
  wsPort?: number | null;
  /** MQTT over TLS on this port (0 = any free port); null/undefined = off. Needs `tls`. */
  tlsPort?: number | null;
  /** PEM certificate and key for the TLS listener (the site certificate). */
  tls?: { cert: string; key: string };
  /** A subscriber with more unread bytes queued than this is disconnected (default 8 MiB). */
  maxBacklogBytes?: number;
}

export const DEFAULT_MAX_BACKLOG_BYTES = 8 * 1024 * 1024;
/** How often connections are checked for an unread backlog. */
const BACKLOG_CHECK_MS = 1_000;

export interface EmbeddedBroker {
  port: number;
  /** Port of the MQTT-over-WebSocket listener, null when off. */
  wsPort: number | null;
  /** Port of the MQTT-over-TLS listener, null when off. */
  tlsPort: number | null;
  connectedClients(): number;
  /** Publishes on behalf of the server (Sparkplug NCMD rebirth requests, commands). */
  publish(topic: string, payload: Buffer, qos: 0 | 1): Promise<void>;
  /** Disconnects every connection of a device (key rotated, device deactivated). */
  disconnectDevice(factoryId: number, deviceKey: string): number;
  close(): Promise<void>;
}

/** CONNACK return code 4: bad user name or password; 5: not authorised [MQTT-3.2.2-5]. */
function authError(code: 4 | 5, message: string): AuthenticateError {
  return Object.assign(new Error(message), { returnCode: code }) as AuthenticateError;
}

export async function startEmbeddedBroker(options: EmbeddedBrokerOptions): Promise<EmbeddedBroker> {
  const { logger, handlers } = options;
  const sessions = new WeakMap<Client, DeviceSession>();
  const clients = new Set<Client>();
  const complaints = new RateLimitedLog(10_000, options.clock);
  // createBroker() also runs listen(), which sets up persistence; a bare constructor does not.
  // concurrency 0: Aedes's default (100) lets 100 deliveries waiting on one subscriber's full
  // socket hold up every other publish (and their PUBACKs) until that socket drains or the
  // drain timeout closes it, then drains the queue recursively, one stack frame set per queued
  // message (a stack overflow at a few thousand: mcollina/mqemitter#204). Unlimited, a stalled
  // subscriber only grows its own socket buffer, and the backlog check below sheds it.
  const aedes = await Aedes.createBroker({ concurrency: 0, drainTimeout: 30_000, maxClientsIdLength: 256, heartbeatInterval: 60_000 });
  const maxBacklogBytes = options.maxBacklogBytes ?? DEFAULT_MAX_BACKLOG_BYTES;
  const backlogTimer = setInterval(() => {
    for (const client of clients) {
      const backlog = (client.conn as { writableLength?: number } | undefined)?.writableLength ?? 0;
      if (backlog <= maxBacklogBytes) continue;
      handlers.refused('slow_subscriber');
      const session = sessions.get(client);
      complaints.maybe(`backlog/${client.id}`, (suppressed) =>
        logger.warn({ event: 'mqtt.slow_subscriber', clientId: client.id, factoryId: session?.factory.id, deviceKey: session?.deviceKey, backlogBytes: backlog, suppressed }, 'subscriber is not reading; disconnecting it'),
      );
      clients.delete(client);
      client.close();
    }
  }, BACKLOG_CHECK_MS);
  backlogTimer.unref();

  aedes.authenticate = (client, username, password, callback) => {
    if (username === undefined && options.allowAnonymous) {
      callback(null, true);
      return;
    }
    handlers
      .authenticate(username, password?.toString('utf8'))
      .then((result) => {
        if (typeof result === 'string') {
          handlers.refused(`auth_${result}`);
          complaints.maybe(`auth/${username ?? ''}`, (suppressed) =>
            logger.warn({ event: 'mqtt.auth_refused', reason: result, username: username?.slice(0, 120), address: client.conn && 'remoteAddress' in client.conn ? client.conn.remoteAddress : undefined, suppressed }, 'device sign-in refused'),
          );
          callback(authError(result === 'bad_username' ? 4 : result === 'bad_key' ? 4 : 5, result), false);
          return;
        }
        sessions.set(client, result);
        callback(null, true);
      })
      .catch((error: unknown) => {
        logger.error({ event: 'mqtt.auth_error', err: error }, 'device sign-in failed');
        callback(authError(5, 'server error'), false);
      });
  };

  const refuse = (client: Client, reason: string, topic: string, callback: (error?: Error | null) => void) => {
    handlers.refused(reason);
    const session = sessions.get(client);
    complaints.maybe(`pub/${client.id}/${reason}`, (suppressed) =>
      logger.warn({ event: 'mqtt.publish_refused', reason, topic: topic.slice(0, 200), factoryId: session?.factory.id, deviceKey: session?.deviceKey, suppressed }, 'publish refused; closing the connection'),
    );
    // MQTT-3.3.5-2: a refused PUBLISH is either acknowledged or the connection closed. We
    // close it, so a device publishing where it must not is noticed and nothing is forwarded.
    callback(new Error(`publish to ${topic} not allowed`));
  };

  aedes.authorizePublish = (client, packet, callback) => {
    if (!client) return callback(null);
    const session = sessions.get(client) ?? null;
    const topic = parseTopic(packet.topic);
    if (!topic) return refuse(client, 'topic_not_allowed', packet.topic, callback);
    if (session === null && !options.allowAnonymous) return refuse(client, 'not_signed_in', packet.topic, callback);
    const done = (error?: Error) => callback(error ?? null);
    switch (topic.kind) {
      case 'telemetry':
        if (session && (topic.factorySlug !== session.factory.slug || topic.deviceKey !== session.deviceKey)) {
          return refuse(client, 'topic_not_allowed', packet.topic, callback);
        }
        return handlers.telemetry(session, topic, packet.payload as Buffer, packet.qos, done);
      case 'sparkplug':
        if (session && (topic.group !== session.factory.slug || topic.edgeNode !== session.deviceKey)) {
          return refuse(client, 'topic_not_allowed', packet.topic, callback);
        }
        if (topic.messageType === 'NCMD' || topic.messageType === 'DCMD') return refuse(client, 'topic_not_allowed', packet.topic, callback);
        return handlers.sparkplug(session, topic, packet.payload as Buffer, packet.qos, done);
      default:
        // STATE topics belong to host applications, not devices.
        return refuse(client, 'topic_not_allowed', packet.topic, callback);
    }
  };

  aedes.authorizeSubscribe = (client, subscription: Subscription, callback) => {
    const session = sessions.get(client);
    if (!session) return callback(null, options.allowAnonymous ? subscription : null);
    const slug = session.factory.slug;
    const key = session.deviceKey;
    const topic = subscription.topic;
    // Its own command topics only; exact match for NCMD so node "ab" cannot read node "abc".
    const allowed =
      topic === `spBv1.0/${slug}/NCMD/${key}` ||
      topic.startsWith(`spBv1.0/${slug}/NCMD/${key}/`) ||
      topic.startsWith(`factories/${slug}/devices/${key}/`) ||
      topic.startsWith(`spBv1.0/${slug}/DCMD/${key}/`) ||
      topic.startsWith('spBv1.0/STATE/');
    if (!allowed) {
      handlers.refused('subscribe_not_allowed');
      // null → SUBACK 0x80 (failure) for this filter [MQTT-3.9.3-1]; the connection stays.
      return callback(null, null);
    }
    callback(null, subscription);
  };

  aedes.on('client', (client) => clients.add(client));
  aedes.on('clientDisconnect', (client) => clients.delete(client));
  aedes.on('clientError', (client, error) => {
    clients.delete(client);
    logger.debug({ event: 'mqtt.client_error', clientId: client.id, err: error.message }, 'client error');
  });
  aedes.on('connectionError', (_client, error) => logger.debug({ event: 'mqtt.connection_error', err: error.message }, 'connection error'));

  // noDelay: PUBACKs are a few bytes each and gate the device's next message; Nagle's algorithm
  // would hold them back waiting for the device's TCP ACK.
  const server: Server = createServer({ noDelay: true }, aedes.handle);
  const listening: Array<{ close(callback: () => void): void }> = [];
  const listen = (listener: Server, port: number) =>
    new Promise<number>((resolve, reject) => {
      listener.once('error', reject);
      listener.listen({ host: options.host, port }, () => {
        listener.off('error', reject);
        listening.push(listener);
        const address = listener.address();
        resolve(typeof address === 'object' && address ? address.port : port);
      });
    });
  let port = options.port;
  let wsPort: number | null = null;
  let tlsPort: number | null = null;
  try {
    port = await listen(server, options.port);
    if (options.wsPort !== undefined && options.wsPort !== null) {
      // MQTT over WebSocket [MQTT-6.0.0-1..4]: binary frames, subprotocol "mqtt", path /mqtt.
      const http = createHttpServer((_req, res) => res.writeHead(426, { 'content-type': 'text/plain' }).end('MQTT over WebSocket: connect to /mqtt\n'));
      const wss = new WebSocketServer({
        server: http,
        path: '/mqtt',
        maxPayload: 16 * 1024 * 1024,
        handleProtocols: (protocols) => (protocols.has('mqtt') ? 'mqtt' : protocols.has('mqttv3.1') ? 'mqttv3.1' : false),
      });
      wss.on('connection', (socket, req: IncomingMessage) => aedes.handle(createWebSocketStream(socket), req));
      wsPort = await listen(http as unknown as Server, options.wsPort);
      listening.push({ close: (callback) => wss.close(() => callback()) });
    }
    if (options.tlsPort !== undefined && options.tlsPort !== null) {
      if (!options.tls) throw new Error('the MQTT TLS listener needs a certificate and key');
      const secure = createTlsServer({ cert: options.tls.cert, key: options.tls.key, minVersion: 'TLSv1.2' }, aedes.handle);
      secure.on('tlsClientError', (error) => logger.debug({ event: 'mqtt.tls_error', err: error.message }, 'TLS handshake failed'));
      tlsPort = await listen(secure as unknown as Server, options.tlsPort);
    }
  } catch (error) {
    // Stop what started and the broker's timers too, or a failed start keeps the process alive.
    await Promise.all(listening.map((l) => new Promise<void>((resolve) => l.close(() => resolve()))));
    clearInterval(backlogTimer);
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    throw error;
  }

  return {
    port,
    wsPort,
    tlsPort,
    connectedClients: () => aedes.connectedClients,
    publish: (topic, payload, qos) =>
      new Promise((resolve, reject) =>
        aedes.publish({ cmd: 'publish', topic, payload, qos, retain: false, dup: false } as PublishPacket, (error) => (error ? reject(error) : resolve())),
      ),
    disconnectDevice(factoryId, deviceKey) {
      let count = 0;
      for (const client of clients) {
        const session = sessions.get(client);
        if (session && session.factory.id === factoryId && session.deviceKey === deviceKey) {
          client.close();
          count++;
        }
      }
      return count;
    },
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(backlogTimer);
        for (const client of clients) client.close();
        aedes.close(() => {
          let open = listening.length;
          if (open === 0) resolve();
          for (const l of listening) l.close(() => --open === 0 && resolve());
        });
      }),
  };
}
