/**
 * Brute-force protection for sign-in: failures are counted per account (factory + e-mail)
 * and per client address in a sliding window; past the limit the caller gets 429 with
 * Retry-After until the oldest failure leaves the window. A success clears the account.
 * In memory: a scale-out deployment shares it through Redis (same interface).
 */
export interface ThrottleLimits {
  windowMs: number;
  maxPerAccount: number;
  maxPerAddress: number;
}

export const DEFAULT_THROTTLE: ThrottleLimits = {
  windowMs: 15 * 60_000,
  maxPerAccount: 5,
  maxPerAddress: 30,
};

const MAX_TRACKED_KEYS = 100_000;

export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();

  constructor(private readonly limits: ThrottleLimits = DEFAULT_THROTTLE) {}

  /** Seconds to wait before another attempt, or 0 when an attempt is allowed now. */
  retryAfterSeconds(account: string, address: string, now: number): number {
    const wait = Math.max(
      this.waitFor(`a:${account}`, this.limits.maxPerAccount, now),
      this.waitFor(`ip:${address}`, this.limits.maxPerAddress, now),
    );
    return Math.ceil(wait / 1000);
  }

  /**
   * Starts a sign-in attempt: refuses it (seconds to wait) or counts it as a failure up front,
   * before the slow password check. Counting afterwards would let a burst of parallel guesses
   * all pass the check while the first ones are still being verified.
   */
  begin(account: string, address: string, now: number): number {
    const wait = this.retryAfterSeconds(account, address, now);
    if (wait > 0) return wait;
    this.recordFailure(account, address, now);
    return 0;
  }

  /** The attempt begun at `startedAt` succeeded: the account starts afresh and the address gets that attempt back. */
  succeeded(account: string, address: string, startedAt: number): void {
    this.recordSuccess(account);
    const key = `ip:${address}`;
    const list = this.failures.get(key);
    const index = list ? list.lastIndexOf(startedAt) : -1;
    if (list && index >= 0) {
      list.splice(index, 1);
      if (list.length === 0) this.failures.delete(key);
    }
  }

  recordFailure(account: string, address: string, now: number): void {
    this.push(`a:${account}`, now);
    this.push(`ip:${address}`, now);
  }

  recordSuccess(account: string): void {
    this.failures.delete(`a:${account}`);
  }

  private waitFor(key: string, max: number, now: number): number {
    const list = this.prune(key, now);
    if (list.length < max) return 0;
    const oldestCounted = list[list.length - max] ?? now;
    return Math.max(1, oldestCounted + this.limits.windowMs - now);
  }

  private push(key: string, now: number): void {
    const list = this.prune(key, now);
    list.push(now);
    this.failures.set(key, list);
    if (this.failures.size > MAX_TRACKED_KEYS) {
      // Bounded memory under a spray of distinct names: forget the oldest-inserted keys.
      const excess = this.failures.size - MAX_TRACKED_KEYS;
      let i = 0;
      for (const k of this.failures.keys()) {
        if (i++ >= excess) break;
        this.failures.delete(k);
      }
    }
  }

  private prune(key: string, now: number): number[] {
    const list = this.failures.get(key) ?? [];
    const from = now - this.limits.windowMs;
    let drop = 0;
    while (drop < list.length && (list[drop] ?? 0) <= from) drop++;
    if (drop > 0) list.splice(0, drop);
    if (list.length === 0) this.failures.delete(key);
    return list;
  }
}
