/**
 * The composition root: the one place that picks adapters and wires the server together.
 * Everything else receives interfaces. Reads as the boot sequence of a site server.
 */
import { hostname } from 'node:os';
import { createGuards } from './auth/guards.js';
import { AccessTokens } from './auth/access-tokens.js';
import { LoginThrottle } from './auth/login-throttle.js';
import { SessionService } from './auth/sessions.js';
import { createHttpServer, type App } from './api/http-server.js';
import type { ApiContext } from './api/context.js';
import { auditRoutes } from './api/routes/audit.js';
import { authRoutes } from './api/routes/auth.js';
import { deviceRoutes } from './api/routes/devices.js';
import { healthRoute, metricsRoute } from './api/routes/system.js';
import { userRoutes } from './api/routes/users.js';
import { factoryRoutes } from './api/routes/factory.js';
import { telemetryRoutes } from './api/routes/telemetry.js';
import { alertRoutes } from './api/routes/alerts.js';
import { maintenanceRoutes } from './api/routes/maintenance.js';
import { ruleRoutes } from './api/routes/rules.js';
import { updateRoutes } from './api/routes/updates.js';
import { AlarmService } from './alarms/alarm-service.js';
import { createStreamAlarms } from './alarms/stream-alarms.js';
import { createNotifier } from './notify/notifier.js';
import { smtpVerifyStartTlsFromEnv, twilioFromEnv } from './notify/config.js';
import { DEFAULT_STREAM_OPTIONS, StreamHub, streamRoute } from './api/stream.js';
import { uiRoutes } from './api/ui.js';
import { factorySummary } from './api/summary.js';
import websocket from '@fastify/websocket';
import { DeviceAuthenticator } from './ingest/device-auth.js';
import { DeviceDirectory } from './ingest/device-directory.js';
import { startEmbeddedBroker } from './ingest/embedded-broker.js';
import { connectExternalBroker } from './ingest/external-broker.js';
import { IngestService } from './ingest/ingest-service.js';
import { JsonTelemetryIngest } from './ingest/json-telemetry.js';
import { DEFAULT_PIPELINE_OPTIONS, IngestPipeline } from './ingest/pipeline.js';
import { SparkplugIngest } from './ingest/sparkplug-ingest.js';
import { DEFAULT_PAYLOAD_LIMITS } from '../engine/telemetry/payload.js';
import { createMemoryBus } from './store/bus/live-bus.js';
import { DEFAULT_RETENTION } from './store/series/sqlite/sqlite-series-store.js';
import { openSqliteSeriesStoreInWorker } from './store/series/sqlite/worker-series-store.js';
import type { SeriesStore } from './store/series/series-store.js';
import { startDemo } from './demo/start-demo.js';
import { loadOrCreateJwtSecret, prepareDataDir, type DataDirLayout } from './bootstrap/data-dir.js';
import { createFactoryWithAdmin } from './bootstrap/first-factory.js';
import { loadOrCreateSiteCertificate } from './bootstrap/site-certificate.js';
import { CliError } from './cli/cli-error.js';
import type { ServerConfig } from './config.js';
import { createSmtpMailer } from './notify/mailer.js';
import { HealthChecks } from './observe/health.js';
import { createLogger, type Logger } from './observe/logger.js';
import { createIngestMetrics, createMetrics, registerSeriesStoreMetrics } from './observe/metrics.js';
import { productVersion } from './observe/version.js';
import { parseMetaTarget, redactUrl } from './store/meta/connect.js';
import { openMetaStore, type MetaStore } from './store/meta/meta-store.js';

export interface StartOptions {
  logger?: Logger;
  clock?: () => number;
  /** Where the one-time first-start banner (generated password) is written. */
  announce?: (text: string) => void;
  env?: NodeJS.ProcessEnv;
}

export interface RunningServer {
  /** Base URL of the API and UI, e.g. https://127.0.0.1:8443 */
  url: string;
  httpPort: number;
  fingerprint256: string;
  layout: DataDirLayout;
  meta: MetaStore;
  series: SeriesStore;
  http: App;
  /** Port of the embedded MQTT broker (null with an external broker). */
  mqttPort: number | null;
  /** Ports of the embedded broker's MQTT-over-WebSocket and MQTT-over-TLS listeners (null when off). */
  mqttWsPort: number | null;
  mqttsPort: number | null;
  pipeline: IngestPipeline;
  /** The alarm service (tests wait on `idle()` after telemetry). */
  alarms: AlarmService;
  close(): Promise<void>;
}

export async function openMeta(config: Pick<ServerConfig, 'metadata'>, layout: DataDirLayout): Promise<MetaStore> {
  const target = (() => {
    try {
      return parseMetaTarget(config.metadata, layout.metaFile);
    } catch (error) {
      throw new CliError((error as Error).message, 2);
    }
  })();
  try {
    return await openMetaStore(target);
  } catch (error) {
    const where = target.kind === 'mysql' ? redactUrl(target.url) : target.file;
    throw new CliError(`cannot open the metadata database ${where}: ${(error as Error).message}`);
  }
}

export async function startServer(config: ServerConfig, options: StartOptions = {}): Promise<RunningServer> {
  const clock = options.clock ?? Date.now;
  const env = options.env ?? process.env;
  const logger = options.logger ?? createLogger(config.logLevel);
  const announce = options.announce ?? ((text: string) => process.stdout.write(text));
  const version = productVersion();

  const layout = prepareDataDir(config.dataDir);
  const { secret } = loadOrCreateJwtSecret(layout);
  const certificate = await loadOrCreateSiteCertificate(layout, new Date(clock()));
  if (certificate.created) logger.info({ event: 'tls.certificate_created', file: layout.certFile }, 'site certificate created');

  const meta = await openMeta(config, layout);
  const cleanup: Array<() => Promise<void> | void> = [() => meta.close()];
  try {
    await ensureFirstFactory(meta, env, clock(), logger, announce);

    const metrics = createMetrics();
    const health = new HealthChecks();
    health.register('metadata', () => meta.ping());

    // Time series and live fan-out (embedded size: SQLite file on its own thread, in-process bus).
    const series = await openSqliteSeriesStoreInWorker({
      file: layout.seriesFile,
      retention: { ...DEFAULT_RETENTION, rawMs: config.rawRetentionDays * 86_400_000 },
      // The values stay in the ingest log and in memory; the next compaction retries them.
      onCompactionError: (error) => logger.error({ event: 'series.compaction_failed', err: error }, 'series compaction failed; retrying'),
    });
    cleanup.push(() => series.close());
    health.register('series', () => series.ping());
    registerSeriesStoreMetrics(metrics.registry, () => series.stats());
    const retentionTimer = setInterval(() => {
      series.applyRetention(clock()).catch((error: unknown) => logger.warn({ event: 'series.retention_failed', err: error }, 'retention failed'));
    }, 3_600_000);
    retentionTimer.unref();
    cleanup.push(() => clearInterval(retentionTimer));
    const bus = createMemoryBus((error) => logger.error({ event: 'bus.handler_failed', err: error }, 'bus handler failed'));
    cleanup.push(() => bus.close());

    // Ingest: device directory, pipeline, message formats, broker.
    const ingestMetrics = createIngestMetrics(metrics.registry);
    const directory = new DeviceDirectory(meta, clock);
    const authenticator = new DeviceAuthenticator(meta, directory, clock);
    const pipeline = new IngestPipeline(series, meta, directory, bus, ingestMetrics, logger, DEFAULT_PIPELINE_OPTIONS);
    cleanup.unshift(() => pipeline.close());
    const json = new JsonTelemetryIngest(pipeline, ingestMetrics, logger, clock, { ...DEFAULT_PAYLOAD_LIMITS, maxBytes: config.maxPayloadBytes });
    let publishCommand: (topic: string, payload: Buffer) => Promise<void> = async () => {
      throw new Error('broker not started');
    };
    const sparkplug = new SparkplugIngest({
      pipeline,
      directory,
      meta,
      metrics: ingestMetrics,
      logger,
      clock,
      publishCommand: (topic, payload) => publishCommand(topic, payload),
    });
    const ingest = new IngestService(authenticator, directory, json, sparkplug, ingestMetrics, logger);

    let mqttPort: number | null = null;
    let mqttWsPort: number | null = null;
    let mqttsPort: number | null = null;
    let disconnectDevice: (factoryId: number, deviceKey: string) => void = () => {};
    if (config.mqttUrl) {
      const external = await connectExternalBroker({
        url: config.mqttUrl,
        clientId: config.mqttClientId ?? `factoryops-${hostname()}`,
        shareGroup: config.mqttShareGroup,
        logger,
        handlers: ingest.brokerHandlers(),
      }).catch((error: unknown) => {
        throw new CliError(`cannot connect to the external broker: ${(error as Error).message}`);
      });
      // Before the pipeline closes: stop taking messages first, then drain.
      cleanup.unshift(() => external.close());
      publishCommand = (topic, payload) => external.publish(topic, payload, 0);
      health.register('broker', async () => {
        if (!external.connected()) throw new Error('not connected to the external broker');
      });
    } else {
      const broker = await startEmbeddedBroker({
        host: config.host,
        port: config.mqttPort,
        wsPort: config.mqttWsPort,
        tlsPort: config.mqttsPort,
        tls: { cert: certificate.cert, key: certificate.key },
        allowAnonymous: config.allowAnonymous,
        maxBacklogBytes: config.mqttMaxBacklogBytes,
        logger,
        clock,
        handlers: ingest.brokerHandlers(),
      }).catch(
        (error: unknown) => {
          const code = (error as NodeJS.ErrnoException).code;
          if (code === 'EADDRINUSE') {
            // Node names the port that failed; say which listener it was and which flag moves it.
            const port = (error as { port?: number }).port ?? config.mqttPort;
            const flag = port === config.mqttWsPort ? '--mqtt-ws-port' : port === config.mqttsPort ? '--mqtts-port' : '--mqtt-port';
            const what = flag === '--mqtt-ws-port' ? 'MQTT-over-WebSocket port' : flag === '--mqtts-port' ? 'MQTTS port' : 'MQTT port';
            throw new CliError(`${what} ${port} on ${config.host} is already in use (another broker?): stop it or choose another port with ${flag}`);
          }
          if (code === 'EACCES') throw new CliError(`not allowed to listen on MQTT port ${config.mqttPort}; choose another with --mqtt-port`);
          if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
            throw new CliError(`address ${config.host} is not an address of this machine; fix --host / FACTORYOPS_HOST`);
          }
          throw error;
        },
      );
      cleanup.unshift(() => broker.close());
      mqttPort = broker.port;
      mqttWsPort = broker.wsPort;
      mqttsPort = broker.tlsPort;
      publishCommand = (topic, payload) => broker.publish(topic, payload, 0);
      disconnectDevice = (factoryId, deviceKey) => void broker.disconnectDevice(factoryId, deviceKey);
      logger.info(
        { event: 'mqtt.listening', host: config.host, port: broker.port, wsPort: broker.wsPort, tlsPort: broker.tlsPort, allowAnonymous: config.allowAnonymous },
        `MQTT broker listening on ${config.host}:${broker.port}${broker.wsPort !== null ? `, WebSocket :${broker.wsPort}/mqtt` : ''}${broker.tlsPort !== null ? `, TLS :${broker.tlsPort}` : ''}`,
      );
    }

    const tokens = new AccessTokens(secret, config.accessTokenTtlSeconds);
    const throttle = new LoginThrottle();
    const sessions = new SessionService(meta, tokens, throttle, config.refreshTokenTtlSeconds, clock, (reason) =>
      metrics.loginFailures.inc({ reason }),
    );
    // Alarms: the notifier's outbox sender and escalation monitor, then the rule evaluation
    // that follows every committed ingest batch. Both stop before the pipeline and the
    // metadata close (cleanup runs front to back; unshift puts a step first).
    const notifier = createNotifier({
      meta,
      logger,
      clock,
      smtp: config.smtp,
      twilio: twilioFromEnv(env),
      email: { verifyStartTls: smtpVerifyStartTlsFromEnv(env) },
      sender: { resumeOnStart: true },
      onEscalated: (delta) => bus.publish({ type: 'alarm', factoryId: delta.factoryId, deviceId: delta.alert.deviceId, delta }),
    });
    const alarms = new AlarmService({ meta, pipeline, bus, series, planner: notifier.planner, logger, clock, kickNotifications: () => notifier.kick() });
    await alarms.start();
    cleanup.unshift(() => alarms.stop());
    notifier.start();
    cleanup.unshift(() => notifier.stop());

    const mailer = config.smtp ? createSmtpMailer(config.smtp) : null;
    if (mailer) cleanup.push(() => mailer.close());
    const scheme = config.tls ? 'https' : 'http';
    const publicUrlFor = (port: number) => `${scheme}://${config.host === '0.0.0.0' || config.host === '::' ? hostname() : config.host}:${port}`;
    const ctx: ApiContext = {
      meta,
      tokens,
      sessions,
      throttle,
      guards: createGuards(meta, tokens, clock),
      metrics,
      health,
      mailer,
      clock,
      publicUrl: config.publicUrl ?? publicUrlFor(config.httpPort),
      version,
      offlineAfterMs: config.offlineAfterMs,
      deviceChanged(factoryId, deviceId, deviceKey) {
        directory.invalidate(factoryId, deviceId);
        disconnectDevice(factoryId, deviceKey);
      },
    };
    const summary = (factoryId: number) => factorySummary(meta, series, factoryId, clock(), config.offlineAfterMs);
    const hub = new StreamHub({ meta, tokens, bus, logger, clock, summary, latest: (factoryId, deviceId) => series.latest(factoryId, deviceId), alarms: createStreamAlarms(meta) }, { ...DEFAULT_STREAM_OPTIONS, rateHz: config.streamRateHz });
    cleanup.unshift(() => hub.close());

    const http = createHttpServer({ logger, metrics, tls: config.tls ? { cert: certificate.cert, key: certificate.key } : null });
    cleanup.unshift(async () => {
      // Graceful first: in-flight requests finish. A keep-alive or upgraded connection still
      // open after 5 s (a browser tab left open) is cut, or shutdown would wait for its
      // 72 s keep-alive timeout.
      const force = setTimeout(() => http.server.closeAllConnections(), 5_000);
      try {
        await http.close();
      } finally {
        clearTimeout(force);
      }
    });
    await http.register(websocket, { options: { maxPayload: 64 * 1024 } });
    await http.register(healthRoute, ctx);
    await http.register(
      async (api) => {
        await metricsRoute(api, ctx);
        await authRoutes(api, ctx);
        await userRoutes(api, ctx);
        await deviceRoutes(api, ctx);
        await auditRoutes(api, ctx);
        await factoryRoutes(api, ctx);
        await telemetryRoutes(api, { ...ctx, telemetry: { series, authenticator, directory, json } });
        await ruleRoutes(api, { ...ctx, alarms });
        await alertRoutes(api, {
          ...ctx,
          alarms,
          floodLimit: config.alarmHealth.flood,
          alarmHealth: async (factoryId, from, to) => {
            // Flood state and standing alarms are judged at the end of the period (or now).
            const report = await alarms.alarmHealth(factoryId, Math.min(to, clock()), { ...config.alarmHealth, from, to });
            return { ...report, floodPeriods: report.flood.periods };
          },
        });
        await maintenanceRoutes(api, { ...ctx, alarms });
        await streamRoute(api, hub);
        await updateRoutes(api, { dir: config.updatesDir });
      },
      { prefix: '/api/v1' },
    );
    // The control-room UI at / (renderer/dist), after the API so /api paths keep their JSON 404.
    await http.register(uiRoutes);

    await listen(http, config);
    const address = http.server.address();
    const httpPort = typeof address === 'object' && address ? address.port : config.httpPort;
    // Port 0 (an ephemeral port, as tests use) is only known now: invite links must carry the real one.
    ctx.publicUrl = config.publicUrl ?? publicUrlFor(httpPort);
    const url = `${scheme}://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${httpPort}`;
    if (config.demo) {
      if (mqttPort === null) throw new CliError('--demo needs the embedded broker; drop --mqtt-url');
      const demo = await startDemo({ meta, port: mqttPort, clock, logger, rulesChanged: (factoryId) => alarms.reload(factoryId) });
      cleanup.unshift(() => demo.stop());
    }
    logger.info(
      { event: 'server.started', version, url, tls: config.tls, fingerprint256: certificate.fingerprint256, metadata: meta.description, dataDir: layout.root },
      `FactoryOps ${version} listening on ${url}`,
    );
    return {
      url,
      httpPort,
      fingerprint256: certificate.fingerprint256,
      layout,
      meta,
      series,
      http,
      mqttPort,
      mqttWsPort,
      mqttsPort,
      pipeline,
      alarms,
      async close() {
        for (const step of cleanup) await step();
        logger.info({ event: 'server.stopped' }, 'server stopped');
      },
    };
  } catch (error) {
    for (const step of cleanup) await Promise.resolve(step()).catch(() => {});
    throw error;
  }
}

async function listen(http: App, config: ServerConfig): Promise<void> {
  try {
    await http.listen({ host: config.host, port: config.httpPort });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      throw new CliError(
        `HTTP port ${config.httpPort} on ${config.host} is already in use: stop the program using it or choose another port with --http-port / FACTORYOPS_HTTP_PORT`,
      );
    }
    if (code === 'EACCES') {
      throw new CliError(`not allowed to listen on port ${config.httpPort}: ports below 1024 need privileges; choose another with --http-port`);
    }
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
      throw new CliError(`address ${config.host} is not an address of this machine; fix --host / FACTORYOPS_HOST`);
    }
    throw error;
  }
}

/**
 * First start: an empty metadata database gets a factory and a super admin. The password
 * comes from FACTORYOPS_ADMIN_PASSWORD or is generated and shown once (never logged).
 */
async function ensureFirstFactory(meta: MetaStore, env: NodeJS.ProcessEnv, now: number, logger: Logger, announce: (t: string) => void): Promise<void> {
  if ((await meta.factories.list()).length > 0) return;
  const created = await createFactoryWithAdmin(
    meta,
    {
      slug: env.FACTORYOPS_FACTORY_SLUG || 'default',
      name: env.FACTORYOPS_FACTORY_NAME || 'Default Factory',
      ...(env.FACTORYOPS_FACTORY_TIMEZONE ? { timezone: env.FACTORYOPS_FACTORY_TIMEZONE } : {}),
      adminEmail: env.FACTORYOPS_ADMIN_EMAIL || 'admin@factoryops.local',
      ...(env.FACTORYOPS_ADMIN_PASSWORD ? { adminPassword: env.FACTORYOPS_ADMIN_PASSWORD } : {}),
    },
    'first-start',
    now,
  );
  logger.info(
    { event: 'bootstrap.first_factory', factoryId: created.factory.id, slug: created.factory.slug, admin: created.admin.email },
    'first factory and super admin created',
  );
  if (created.generatedPassword) {
    announce(
      [
        '',
        '  ┌─ FactoryOps first start ───────────────────────────────────────',
        `  │ factory:  ${created.factory.slug}`,
        `  │ e-mail:   ${created.admin.email}`,
        `  │ password: ${created.generatedPassword}`,
        '  │ This password is shown once. Sign in and keep it safe.',
        '  └────────────────────────────────────────────────────────────────',
        '',
      ].join('\n') + '\n',
    );
  }
}
