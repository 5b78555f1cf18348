/**
 * A log line per key at most once per interval, with the count of what was suppressed, so
 * one device sending garbage 1000 times a second cannot flood the log (or the disk).
 */
export class RateLimitedLog {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly intervalMs: number,
    private readonly clock: () => number,
  ) {}

  /** Calls `emit(suppressedSinceLast)` when this key may log now. */
  maybe(key: string, emit: (suppressed: number) => void): void {
    const now = this.clock();
    const entry = this.last.get(key);
    if (entry && now - entry.at < this.intervalMs) {
      entry.suppressed++;
      return;
    }
    if (this.last.size > 10_000) this.last.clear();
    this.last.set(key, { at: now, suppressed: 0 });
    emit(entry?.suppressed ?? 0);
  }
}
