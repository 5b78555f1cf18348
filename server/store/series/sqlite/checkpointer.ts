/**
 * Background WAL checkpointer for the SQLite series store.
 *
 * Why: each compaction dirties roughly one page per series per table (raw, rollups, latest),
 * so the WAL grows by tens of megabytes a second under heavy ingest (before the ingest log,
 * every commit did that). A checkpoint copies those pages into the database file and fsyncs
 * it; done by the writer (SQLite's autocheckpoint runs inside the COMMIT that crosses the
 * threshold) it stalls the event loop, and therefore the hot path, for 100–250 ms at a time on
 * a slow disk. Measured with the earlier per-commit layout on the 2-core dev VM (noisy shared
 * disk), 2–3 M values in batches of 2 000, alternating runs: 56–87 k values/s with inline
 * checkpoints vs 77–118 k values/s with this worker, and fewer write() calls over 30 ms.
 *
 * How: a worker thread opens its own connection to the same file and runs
 * `PRAGMA wal_checkpoint(PASSIVE)` every `intervalMs`. PASSIVE never blocks the writer nor
 * waits for it. The writer keeps a high `wal_autocheckpoint` as a safety net, so the WAL stays
 * bounded even if this worker falls behind or dies.
 *
 * The worker is a CommonJS eval script that requires better-sqlite3 by absolute path, so it
 * works the same from compiled JS, tsx and vitest (no .ts loader needed in the worker).
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.file, { timeout: 0 });
db.pragma('synchronous = ' + workerData.synchronous);
let stopped = false;
let timer = null;
function tick() {
  timer = null;
  if (stopped) return;
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (err) {
    // SQLITE_BUSY (another checkpoint running) is expected now and then; anything else is reported.
    if (!err || err.code !== 'SQLITE_BUSY') parentPort.postMessage({ error: String(err && err.message || err) });
  }
  timer = setTimeout(tick, workerData.intervalMs);
}
parentPort.on('message', (msg) => {
  if (msg !== 'stop' || stopped) return;
  stopped = true;
  if (timer !== null) clearTimeout(timer);
  db.close();
  parentPort.close();
});
timer = setTimeout(tick, workerData.intervalMs);
`;

export interface Checkpointer {
  /** Stops the worker and closes its connection. Resolves once the thread has exited. */
  stop(): Promise<void>;
}

export function startCheckpointer(options: {
  file: string;
  synchronous: 'NORMAL' | 'FULL';
  intervalMs: number;
  /** Called when the worker reports an error or dies; the writer should then checkpoint itself. */
  onFailure: (err: Error) => void;
}): Checkpointer {
  const module = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { module, file: options.file, synchronous: options.synchronous, intervalMs: options.intervalMs },
  });
  // A store someone forgot to close must not keep the process alive.
  worker.unref();
  let stopping = false;
  let failed = false;
  const fail = (err: Error): void => {
    if (failed || stopping) return;
    failed = true;
    options.onFailure(err);
  };
  worker.on('message', (msg: { error?: string }) => {
    if (msg.error !== undefined) fail(new Error(`series store checkpointer: ${msg.error}`));
  });
  worker.on('error', (err) => fail(err));
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  worker.once('exit', (code) => {
    if (!stopping) fail(new Error(`series store checkpointer exited unexpectedly (code ${code})`));
  });
  return {
    async stop(): Promise<void> {
      if (!stopping) {
        stopping = true;
        // Keep the process alive until the worker has closed its connection.
        worker.ref();
        worker.postMessage('stop');
      }
      await exited;
    },
  };
}
