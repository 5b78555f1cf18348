/**
 * Prometheus metrics, one registry per server instance (never the global default, so two
 * servers in one test process do not mix their counts).
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface ServerMetrics {
  registry: Registry;
  httpDuration: Histogram<'method' | 'route' | 'status_code'>;
  loginFailures: Counter<'reason'>;
}

export function createMetrics(): ServerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'factoryops_process_' });
  return {
    registry,
    httpDuration: new Histogram({
      name: 'factoryops_api_request_duration_seconds',
      help: 'API request duration',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    loginFailures: new Counter({
      name: 'factoryops_login_failures_total',
      help: 'Failed sign-in attempts by reason',
      labelNames: ['reason'],
      registers: [registry],
    }),
  };
}

export interface IngestMetrics {
  messages: Counter<'source'>;
  values: Counter;
  rejected: Counter<'source' | 'reason'>;
  dropped: Counter<'reason'>;
  batchValues: Histogram;
  commitSeconds: Histogram;
}

export function createIngestMetrics(registry: Registry): IngestMetrics {
  return {
    messages: new Counter({ name: 'factoryops_telemetry_messages_total', help: 'Telemetry messages accepted', labelNames: ['source'], registers: [registry] }),
    values: new Counter({ name: 'factoryops_telemetry_values_stored_total', help: 'Metric values committed to the series store', registers: [registry] }),
    rejected: new Counter({
      name: 'factoryops_telemetry_rejected_total',
      help: 'Telemetry messages refused (bad payload, unknown device, topic not allowed)',
      labelNames: ['source', 'reason'],
      registers: [registry],
    }),
    dropped: new Counter({ name: 'factoryops_telemetry_dropped_total', help: 'QoS 0 messages dropped under overload', labelNames: ['reason'], registers: [registry] }),
    batchValues: new Histogram({
      name: 'factoryops_ingest_batch_values',
      help: 'Values per committed batch',
      buckets: [1, 10, 100, 500, 1000, 2500, 5000, 10000, 25000],
      registers: [registry],
    }),
    commitSeconds: new Histogram({
      name: 'factoryops_ingest_commit_seconds',
      help: 'Time to commit one batch to the series store',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
      registers: [registry],
    }),
  };
}

/** What the series store reports about itself (read when the metrics are scraped). */
export interface SeriesStoreGauges {
  series: number;
  uncompacted: number;
  compactionFailures: number;
}

/** Series store state: a growing `uncompacted` means compaction is falling behind ingest. */
export function registerSeriesStoreMetrics(registry: Registry, stats: () => SeriesStoreGauges): void {
  const gauge = (name: string, help: string, pick: (s: SeriesStoreGauges) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(pick(stats()));
      },
    });
  gauge('factoryops_series_count', 'Series (device parameters) in the series store', (s) => s.series);
  gauge('factoryops_series_uncompacted_values', 'Values committed to the ingest log but not yet compacted into the per-series tables', (s) => s.uncompacted);
  gauge('factoryops_series_compaction_failures', 'Failed series compactions since start (their values are retried)', (s) => s.compactionFailures);
}
