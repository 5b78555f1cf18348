/**
 * The alarm service's writes, one after another in the order they were decided. A single
 * FIFO (not one per key) is what makes the persisted memories and alarm rows always equal to
 * some prefix of what the service decided in memory: a restart resumes from a consistent
 * point. Memory-only saves that queue up behind each other are coalesced into one
 * transaction (the newest memory per key wins), so noisy conditions cost a write per batch,
 * not per evaluation.
 */

export class WriteQueue {
  private tail: Promise<void> = Promise.resolve();
  private pending = 0;
  /** The not-yet-started coalescing job at the tail, if the last job queued is one. */
  private openBatch: Map<string, unknown> | null = null;
  private idleWaiters: Array<() => void> = [];

  /** Jobs queued or running. */
  get length(): number {
    return this.pending;
  }

  /** Queues a job; its result (or error) is the returned promise's. */
  run<T>(job: () => Promise<T>): Promise<T> {
    this.openBatch = null;
    this.pending++;
    const result = this.tail.then(job);
    this.tail = result.then(
      () => this.done(),
      () => this.done(),
    );
    return result;
  }

  /**
   * Adds `value` under `key` to the coalescing job at the tail (starting one if the tail is
   * another kind of job). `flush` receives everything gathered when the job runs.
   */
  coalesce<V>(key: string, value: V, merge: (previous: V, next: V) => V, flush: (batch: Map<string, V>) => Promise<void>): void {
    let batch = this.openBatch as Map<string, V> | null;
    if (batch === null) {
      const fresh = new Map<string, V>();
      batch = fresh;
      void this.run(async () => {
        if (this.openBatch === fresh) this.openBatch = null;
        await flush(fresh);
      }).catch(() => {
        /* flush reports its own failures */
      });
      this.openBatch = fresh as Map<string, unknown>;
    }
    const previous = batch.get(key);
    batch.set(key, previous === undefined ? value : merge(previous, value));
  }

  /** Resolves when every job queued so far (and any queued meanwhile) has finished. */
  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private done(): void {
    this.pending--;
    if (this.pending === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }
}
