/** A small dot: green while the stream is live. */
import { useLink } from '../../stores/link-store';

export function LinkIndicator() {
  const state = useLink((s) => s.state);
  const cls = state === 'open' ? 'fo-open' : state === 'down' ? 'fo-down' : '';
  const text = state === 'open' ? 'Live' : state === 'down' ? 'Offline' : 'Connecting';
  return (
    <span className="fo-muted" data-testid="link-state" data-state={state} title={`Live stream: ${text}`}>
      <span className={`fo-link-dot ${cls}`} />
      {text}
    </span>
  );
}
