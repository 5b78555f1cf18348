/**
 * Unmissable while the stream is down: live values on screen are no longer current. Says
 * since when, and when the next attempt is (the link store tracks the backoff).
 */
import { Button } from '@blueprintjs/core';
import { formatAge, formatTime } from '../../lib/format';
import { useNow } from '../../stores/clock-store';
import { useLink } from '../../stores/link-store';
import { liveStream } from '../../stores/live-session';

export function DisconnectedBanner() {
  const state = useLink((s) => s.state);
  const since = useLink((s) => s.since);
  const reason = useLink((s) => s.reason);
  const nextRetryAt = useLink((s) => s.nextRetryAt);
  const attempt = useLink((s) => s.attempt);
  const now = useNow();
  // A first connect that takes a moment is not an outage; a drop is shown at once.
  const down = state === 'down' || (state === 'connecting' && attempt > 0);
  if (!down) return null;
  return (
    <div className="fo-disconnected" role="alert" data-testid="disconnected-banner">
      <span>
        DISCONNECTED since {formatTime(since, now)} ({formatAge(now - since)}) — values shown are not live
      </span>
      <span className="fo-spacer" />
      <span style={{ fontWeight: 400 }}>
        {reason ?? 'connection lost'}
        {state === 'down' && nextRetryAt ? ` · retry in ${formatAge(Math.max(0, nextRetryAt - now))}` : ' · reconnecting…'}
      </span>
      <Button size="small" text="Retry now" onClick={() => liveStream()?.reconnectNow()} />
    </div>
  );
}
