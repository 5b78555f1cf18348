/**
 * The SQLite series store on its own thread, behind the same SqliteSeriesStore interface.
 *
 * Why: on the server's thread the store cost 16–30 µs of event loop per 50-value message
 * (finding series, the log append, compaction) and, on a slow disk, a commit or compaction
 * now and then blocked 120–250 ms in write() behind the checkpointer's fsync — holding up
 * every device's socket, the WebSocket pushes and the API with it. Here the server's thread
 * only turns each batch into columns (write-batch.ts) and posts it, transferring the buffer;
 * the worker commits and replies, and the caller's promise (QoS 1 PUBACKs wait on it)
 * resolves only then, so "acknowledged means committed" still holds.
 *
 * The worker loads the compiled series-store-worker.js; under vitest or tsx this module is
 * the .ts source and points at dist/ instead (`npm test` and `npm run bench:*` run `tsc -b`
 * first), like the rule evaluator pool.
 */
import { Worker } from 'node:worker_threads';
import type { LatestValue, RetentionPolicy, RetentionReport, SeriesPoint, SeriesRange, SeriesResolution } from '../series-store.js';
import type { SqliteSeriesStats, SqliteSeriesStore, SqliteSeriesStoreOptions } from './sqlite-series-store.js';
import { fromWire, type StoreReply, type StoreRequest, type WorkerStoreOptions } from './worker-protocol.js';
import { BatchEncoder, type ColumnBatch } from './write-batch.js';

export function seriesStoreWorkerFilename(): URL {
  const here = import.meta.url;
  return here.endsWith('.ts')
    ? new URL('../../../../dist/server/store/series/sqlite/series-store-worker.js', here)
    : new URL('./series-store-worker.js', here);
}

type Request = StoreRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

interface Waiting {
  resolve: (result: unknown) => void;
  reject: (error: Error) => void;
}

class WorkerSeriesStore implements SqliteSeriesStore {
  private readonly encoder = new BatchEncoder();
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 1;
  private closing: Promise<void> | null = null;
  /** Set when the thread died: every request fails with it. */
  private broken: Error | null = null;
  private readonly exited: Promise<void>;

  constructor(
    private readonly worker: Worker,
    readonly retention: Readonly<RetentionPolicy>,
    private lastStats: SqliteSeriesStats,
    onCompactionError: (error: unknown) => void,
  ) {
    worker.on('message', (reply: StoreReply) => {
      switch (reply.type) {
        case 'result':
        case 'failed': {
          this.lastStats = reply.stats;
          const w = this.waiting.get(reply.id);
          if (w === undefined) return;
          this.waiting.delete(reply.id);
          // A store nobody closed must not keep the process alive: the thread counts only
          // while someone waits for it.
          if (this.waiting.size === 0) worker.unref();
          if (reply.type === 'result') w.resolve(reply.result);
          else w.reject(fromWire(reply.error));
          return;
        }
        case 'stats':
          this.lastStats = reply.stats;
          return;
        case 'compaction-error':
          onCompactionError(fromWire(reply.error));
          return;
        default:
          return;
      }
    });
    const fail = (error: Error): void => {
      this.broken ??= error;
      for (const w of this.waiting.values()) w.reject(this.broken);
      this.waiting.clear();
    };
    worker.on('error', (error) => fail(new Error(`series store worker failed: ${error.message}`, { cause: error })));
    this.exited = new Promise<void>((resolve) => {
      worker.once('exit', (code) => {
        fail(new Error(this.closing !== null ? 'series store is closed' : `series store worker exited unexpectedly (code ${code})`));
        resolve();
      });
    });
    worker.unref();
  }

  private request<T>(req: Request, transfer?: ArrayBuffer[]): Promise<T> {
    if (this.closing !== null) return Promise.reject(new Error('series store is closed'));
    if (this.broken !== null) return Promise.reject(this.broken);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      if (this.waiting.size === 0) this.worker.ref();
      this.waiting.set(id, { resolve: resolve as (result: unknown) => void, reject });
      this.worker.postMessage({ ...req, id }, transfer);
    });
  }

  async write(points: readonly SeriesPoint[]): Promise<void> {
    if (points.length === 0) {
      if (this.closing !== null) throw new Error('series store is closed');
      return;
    }
    await this.writeColumns(this.encoder.encode(points));
  }

  async writeColumns(batch: ColumnBatch): Promise<void> {
    await this.request<null>({ op: 'write', batch }, [batch.buffer]);
  }

  latest(factoryId: number, deviceId: number, parameters?: readonly string[]): Promise<LatestValue[]> {
    return this.request({ op: 'latest', factoryId, deviceId, ...(parameters === undefined ? {} : { parameters }) });
  }

  range(factoryId: number, deviceId: number, parameter: string, from: number, to: number, maxPoints: number): Promise<SeriesRange> {
    return this.request({ op: 'range', resolution: null, factoryId, deviceId, parameter, from, to, maxPoints });
  }

  rangeAt(
    resolution: SeriesResolution,
    factoryId: number,
    deviceId: number,
    parameter: string,
    from: number,
    to: number,
    maxPoints: number,
  ): Promise<SeriesRange> {
    return this.request({ op: 'range', resolution, factoryId, deviceId, parameter, from, to, maxPoints });
  }

  applyRetention(now: number): Promise<RetentionReport> {
    return this.request({ op: 'retention', now });
  }

  async compact(): Promise<void> {
    await this.request<null>({ op: 'compact' });
  }

  async ping(): Promise<void> {
    await this.request<null>({ op: 'ping' });
  }

  stats(): SqliteSeriesStats {
    return this.lastStats;
  }

  close(): Promise<void> {
    if (this.closing === null) {
      if (this.broken !== null) {
        this.closing = this.exited;
      } else {
        // The close request goes after everything already sent: those finish first.
        const closed = this.request<null>({ op: 'close' });
        this.closing = closed.then(
          () => this.exited,
          async (error: unknown) => {
            await this.worker.terminate();
            throw error;
          },
        );
      }
    }
    return this.closing;
  }
}

/**
 * Opens the store on a worker thread (creating the file if needed, replaying a leftover
 * ingest log); resolves once it is open, rejects with the store's own error if it cannot.
 */
export function openSqliteSeriesStoreInWorker(options: SqliteSeriesStoreOptions & { workerFile?: URL }): Promise<SqliteSeriesStore> {
  const { onCompactionError, workerFile, ...rest } = options;
  const workerOptions: WorkerStoreOptions = rest;
  const worker = new Worker(workerFile ?? seriesStoreWorkerFilename(), { workerData: workerOptions });
  return new Promise<SqliteSeriesStore>((resolve, reject) => {
    const early = (reply: StoreReply): void => {
      if (reply.type === 'ready') {
        cleanup();
        resolve(new WorkerSeriesStore(worker, Object.freeze(reply.retention), reply.stats, onCompactionError ?? (() => {})));
      } else if (reply.type === 'open-failed') {
        cleanup();
        void worker.terminate();
        reject(fromWire(reply.error));
      }
    };
    const failed = (error: Error): void => {
      cleanup();
      reject(new Error(`series store worker failed to start: ${error.message}`, { cause: error }));
    };
    const exited = (code: number): void => failed(new Error(`exited with code ${code}`));
    const cleanup = (): void => {
      worker.off('message', early);
      worker.off('error', failed);
      worker.off('exit', exited);
    };
    worker.on('message', early);
    worker.once('error', failed);
    worker.once('exit', exited);
  });
}
