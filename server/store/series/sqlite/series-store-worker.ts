/**
 * The SQLite series store's own thread (see worker-series-store.ts for why). It owns the
 * database connection: write batches, compaction, retention and reads all run here, one
 * request after another in the order they were sent, so a write is visible to every read sent
 * after it and batches commit in order.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openSqliteSeriesStore, type SqliteSeriesStore } from './sqlite-series-store.js';
import { toWire, type StoreReply, type StoreRequest, type WorkerStoreOptions } from './worker-protocol.js';

/** How often changed counters are pushed when no reply carried them. */
const STATS_PUSH_MS = 500;

const port = parentPort;
if (port === null) throw new Error('series-store-worker.ts runs as a worker thread');

const post = (reply: StoreReply): void => port.postMessage(reply);

function run(store: SqliteSeriesStore, req: StoreRequest): Promise<unknown> {
  switch (req.op) {
    case 'write':
      return store.writeColumns(req.batch);
    case 'latest':
      return store.latest(req.factoryId, req.deviceId, req.parameters);
    case 'range':
      return req.resolution === null
        ? store.range(req.factoryId, req.deviceId, req.parameter, req.from, req.to, req.maxPoints)
        : store.rangeAt(req.resolution, req.factoryId, req.deviceId, req.parameter, req.from, req.to, req.maxPoints);
    case 'retention':
      return store.applyRetention(req.now);
    case 'compact':
      return store.compact();
    case 'ping':
      return store.ping();
    case 'close':
      return store.close();
    default:
      return Promise.reject(new Error(`series store worker: unknown request ${JSON.stringify(req)}`));
  }
}

let store: SqliteSeriesStore | undefined;
try {
  store = openSqliteSeriesStore({
    ...(workerData as WorkerStoreOptions),
    onCompactionError: (error) => post({ type: 'compaction-error', error: toWire(error) }),
  });
} catch (error) {
  post({ type: 'open-failed', error: toWire(error) });
}

if (store !== undefined) {
  const open = store;
  let queue: Promise<void> = Promise.resolve();
  const handle = async (req: StoreRequest): Promise<void> => {
    try {
      const result = await run(open, req);
      post({ type: 'result', id: req.id, result: result ?? null, stats: open.stats() });
    } catch (error) {
      post({ type: 'failed', id: req.id, error: toWire(error), stats: open.stats() });
    }
    // Closed: nothing more to do; the port closing lets the thread end.
    if (req.op === 'close') port.close();
  };
  port.on('message', (req: StoreRequest) => {
    queue = queue.then(() => handle(req));
  });
  post({ type: 'ready', stats: open.stats(), retention: { ...open.retention } });
  // Background compaction changes the counters (uncompacted) between requests: tell the
  // other side when they moved, so its stats() (metrics, health) does not go stale.
  let told = '';
  const statsTimer = setInterval(() => {
    const stats = open.stats();
    const now = `${stats.uncompacted} ${stats.batches} ${stats.compactionFailures} ${stats.series}`;
    if (now === told) return;
    told = now;
    post({ type: 'stats', stats });
  }, STATS_PUSH_MS);
  statsTimer.unref();
  port.once('close', () => clearInterval(statsTimer));
}
