/**
 * Shown when a stored session exists but the server cannot be reached (a restart, a network
 * cut at shift start): it keeps trying instead of asking for a password.
 */
import { Button, NonIdealState, Spinner } from '@blueprintjs/core';
import { transport } from '../api/transport';
import { formatAge } from '../lib/format';
import { useNow } from '../stores/clock-store';
import { abandonWaiting, refreshNow, useSession } from '../stores/session-store';

export function WaitingPage({ wall }: { wall: boolean }) {
  const reason = useSession((s) => s.waitingReason);
  const nextTryAt = useSession((s) => s.nextTryAt);
  const now = useNow();
  return (
    <div className="fo-signin" data-testid="waiting-page">
      <NonIdealState
        icon={<Spinner size={40} />}
        title={`Waiting for the server at ${transport().serverLabel}`}
        description={
          <div>
            <div>{reason}</div>
            {nextTryAt && <div className="fo-muted">Next try in {formatAge(Math.max(0, nextTryAt - now))}.</div>}
          </div>
        }
        action={
          <div className="fo-toolbar">
            <Button text="Try now" onClick={() => void refreshNow()} />
            {!wall && <Button variant="minimal" text="Sign in as someone else" onClick={() => void abandonWaiting()} />}
          </div>
        }
      />
    </div>
  );
}
