/**
 * When a failed notification is tried again: exponential backoff (5 s, 10 s, 20 s, … capped
 * at 5 min) with jitter, so a hundred messages queued during an SMTP outage do not all
 * reconnect in the same second; given up once the message is a day old (status failed).
 * The cap bounds how long mail waits after an outage ends; at 5 min a day of outage costs
 * each message under 300 connection attempts, which no SMTP server notices.
 */
export interface RetryPolicy {
  /** Delay after the first failure, ms. */
  initialDelayMs: number;
  /** Longest delay between two attempts, ms. */
  maxDelayMs: number;
  /** A message older than this (from created_at) is not tried again, ms. */
  giveUpAfterMs: number;
  /** Fraction of a delay taken off at random (0 = none, 0.2 = up to 20 % earlier). */
  jitter: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  initialDelayMs: 5_000,
  maxDelayMs: 5 * 60_000,
  giveUpAfterMs: 24 * 60 * 60_000,
  jitter: 0.2,
};

/** Delay before attempt `failedAttempts + 1`, after `failedAttempts` failures (1, 2, …). */
export function retryDelay(failedAttempts: number, policy: RetryPolicy, random: () => number): number {
  const exponent = Math.min(Math.max(failedAttempts - 1, 0), 30);
  const base = Math.min(policy.initialDelayMs * 2 ** exponent, policy.maxDelayMs);
  return Math.max(0, Math.round(base * (1 - policy.jitter * random())));
}

/**
 * The time of the next attempt, or null to give up. A receiver's Retry-After is honoured
 * when it asks for longer than the backoff would wait (never longer than maxDelayMs).
 */
export function nextAttemptAt(
  failure: { failedAttempts: number; createdAt: number; retryAfterMs?: number },
  now: number,
  policy: RetryPolicy,
  random: () => number,
): number | null {
  if (now - failure.createdAt >= policy.giveUpAfterMs) return null;
  const backoff = retryDelay(failure.failedAttempts, policy, random);
  const asked = Math.min(failure.retryAfterMs ?? 0, policy.maxDelayMs);
  return now + Math.max(backoff, asked);
}
