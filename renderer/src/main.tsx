/**
 * Start-up: pick the host (browser or Electron bridge), connect the session to HTTP and the
 * live stream, resume a stored session, then render. Styles are bundled (the server's CSP
 * allows no inline scripts and no remote content).
 */
import '@blueprintjs/core/lib/css/blueprint.css';
import 'uplot/dist/uPlot.min.css';
import './styles/app.css';
import { BlueprintProvider, FocusStyleManager } from '@blueprintjs/core';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { initTransport } from './api/transport';
import { App } from './App';
import { bindDesktopIntegration } from './app/desktop-integration';
import { inviteLinkOf } from './lib/invite-link';
import { wallConfigOf } from './lib/wall';
import { startClock } from './stores/clock-store';
import { bindLiveSession } from './stores/live-session';
import { connectSessionToHttp, restoreSession, startWithoutSession } from './stores/session-store';

async function boot(): Promise<void> {
  const root = document.getElementById('root');
  if (!root) throw new Error('index.html has no #root element');
  const host = await initTransport();
  const wall = wallConfigOf(window.location.search, host.hostWall);
  // Invitation links are e-mailed as the server's URL, so they open in a browser, never in the shell.
  const invite = host.kind === 'browser' ? inviteLinkOf(window.location.pathname, window.location.search) : null;
  // Focus rings for keyboard users only: a clicked button does not stay outlined.
  FocusStyleManager.onlyShowFocusOnTabs();
  connectSessionToHttp();
  bindLiveSession();
  bindDesktopIntegration(host.desktop, { wall: wall !== null });
  startClock();
  createRoot(root).render(
    <StrictMode>
      <BlueprintProvider>
        <App wall={wall} invite={invite} />
      </BlueprintProvider>
    </StrictMode>,
  );
  if (invite) startWithoutSession();
  else await restoreSession();
}

boot().catch((error: unknown) => {
  // Nothing rendered yet: say what went wrong in plain text rather than leave a blank page.
  const root = document.getElementById('root') ?? document.body;
  const box = document.createElement('pre');
  box.className = 'fo-boot-error';
  box.textContent = `FactoryOps could not start: ${error instanceof Error ? error.message : String(error)}`;
  root.replaceChildren(box);
});
