/**
 * App windows. Each one is hardened the same way (contextIsolation, sandbox, no Node, web
 * security, no webview, navigation locked, window.open answered by policy), shows one
 * connection profile (or the profile picker), and remembers its place per display. Wall
 * windows go full-screen/kiosk on their screen, keep the display awake, and reload by
 * themselves after a renderer crash.
 */
import { BrowserWindow, powerSaveBlocker, screen, shell, type Display } from 'electron';
import { SHELL_PREFIX } from '../core/bundle-files.js';
import type { WindowSession } from '../core/ipc-handlers.js';
import { navigationDecision, windowOpenDecision } from '../core/navigation.js';
import { APP_ORIGIN } from '../core/origins.js';
import { MIN_SIZE, displayOfBounds, pickDisplay, restoreBounds, stateKey, type DisplayInfo } from '../core/window-state.js';
import type { WindowStateStore } from '../core/window-state-store.js';
import type { WallWindowRequest } from '../core/args.js';
import { sessionFor, type SessionDeps } from './profile-session.js';

export interface OpenWindowRequest {
  profileId: string | null;
  wall: (WallWindowRequest & { devices: number[]; cycleSeconds: number | null }) | null;
  kiosk: boolean;
}

interface ManagedWindow {
  window: BrowserWindow;
  session: WindowSession;
  role: string;
  powerSaveId: number | null;
}

export interface WindowManagerDeps extends SessionDeps {
  preload: string;
  states: WindowStateStore;
  /** Called whenever windows open or close (tray menu). */
  changed(): void;
}

function displayInfo(display: Display): DisplayInfo {
  return { id: display.id, bounds: display.bounds, workArea: display.workArea };
}

/** Crash loops must not hammer a wall PC: at most this many automatic reloads per minute. */
const MAX_RELOADS_PER_MINUTE = 3;

export class WindowManager {
  private readonly windows = new Map<number, ManagedWindow>();

  constructor(private readonly deps: WindowManagerDeps) {}

  session(windowId: number): WindowSession | undefined {
    return this.windows.get(windowId)?.session;
  }

  all(): Array<{ id: number; window: BrowserWindow; session: WindowSession }> {
    return [...this.windows.entries()].map(([id, managed]) => ({ id, window: managed.window, session: managed.session }));
  }

  windowsOfProfile(profileId: string): number[] {
    return this.all().filter((w) => w.session.profileId === profileId).map((w) => w.id);
  }

  get(windowId: number): BrowserWindow | undefined {
    return this.windows.get(windowId)?.window;
  }

  focused(): BrowserWindow | undefined {
    return BrowserWindow.getFocusedWindow() ?? this.all()[0]?.window;
  }

  open(request: OpenWindowRequest): BrowserWindow {
    const displays = screen.getAllDisplays().map(displayInfo);
    const { display, warning } = pickDisplay(displays, request.wall?.display ?? null, screen.getPrimaryDisplay().id);
    if (warning) this.deps.log('window.display_missing', { warning });
    const role = request.wall ? request.wall.layout : 'main';
    const key = stateKey(role, display.id);
    const placed = restoreBounds(this.deps.states.get(key), display);
    const wall = request.wall !== null || request.kiosk;
    const session = sessionFor(request.profileId, this.deps);

    const window = new BrowserWindow({
      ...(wall ? display.bounds : placed.bounds),
      minWidth: MIN_SIZE.width,
      minHeight: MIN_SIZE.height,
      show: false,
      backgroundColor: '#1c2127',
      title: 'FactoryOps',
      autoHideMenuBar: wall,
      fullscreen: wall,
      kiosk: request.kiosk,
      webPreferences: {
        session,
        preload: this.deps.preload,
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
        nodeIntegrationInWorker: false,
        nodeIntegrationInSubFrames: false,
        webSecurity: true,
        allowRunningInsecureContent: false,
        webviewTag: false,
        navigateOnDragDrop: false,
        spellcheck: false,
        experimentalFeatures: false,
        // Middle-click would open links in new windows past the navigation policy.
        disableBlinkFeatures: 'Auxclick',
      },
    });
    const managed: ManagedWindow = {
      window,
      session: { profileId: request.profileId, wall: request.wall ? { layout: request.wall.layout, devices: request.wall.devices, cycleSeconds: request.wall.cycleSeconds } : null },
      role,
      powerSaveId: null,
    };
    const id = window.id;
    this.windows.set(id, managed);
    if (placed.maximized && !wall) window.maximize();
    this.lockNavigation(managed);
    this.keepState(managed);
    this.recoverFromCrashes(managed);
    if (wall) managed.powerSaveId = powerSaveBlocker.start('prevent-display-sleep');
    window.once('ready-to-show', () => window.show());
    window.on('closed', () => {
      if (managed.powerSaveId !== null && powerSaveBlocker.isStarted(managed.powerSaveId)) powerSaveBlocker.stop(managed.powerSaveId);
      this.windows.delete(id);
      this.deps.changed();
    });
    void window.loadURL(this.startUrl(managed.session));
    this.deps.changed();
    return window;
  }

  /** Switches a window to another profile: a new window in that profile's session replaces it. */
  replace(windowId: number, profileId: string): BrowserWindow {
    const old = this.windows.get(windowId);
    const next = this.open({ profileId, wall: null, kiosk: false });
    old?.window.close();
    return next;
  }

  private startUrl(session: WindowSession): string {
    if (session.profileId === null) return `${APP_ORIGIN}${SHELL_PREFIX}profiles.html`;
    // The renderer reads wall settings from the bridge (host().wallMode), not from the URL.
    return `${APP_ORIGIN}/`;
  }

  private lockNavigation(managed: ManagedWindow): void {
    const contents = managed.window.webContents;
    const origins = () => {
      const profile = managed.session.profileId === null ? undefined : this.deps.profiles.get(managed.session.profileId);
      return { app: APP_ORIGIN, server: profile?.serverUrl ?? APP_ORIGIN };
    };
    const guard = (event: { preventDefault(): void }, url: string) => {
      if (navigationDecision(url, origins()) === 'deny') {
        event.preventDefault();
        this.deps.log('window.navigation_blocked', { url });
      }
    };
    contents.on('will-navigate', (event) => guard(event, event.url));
    contents.on('will-redirect', (event) => guard(event, event.url));
    contents.on('will-frame-navigate', (event) => {
      if (!event.isMainFrame) guard(event, event.url);
    });
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(({ url }) => {
      switch (windowOpenDecision(url, origins())) {
        case 'app-window':
          this.open({ profileId: managed.session.profileId, wall: null, kiosk: false });
          return { action: 'deny' };
        case 'external-browser':
          void shell.openExternal(url);
          return { action: 'deny' };
        default:
          this.deps.log('window.open_blocked', { url });
          return { action: 'deny' };
      }
    });
  }

  private keepState(managed: ManagedWindow): void {
    const { window } = managed;
    let timer: NodeJS.Timeout | undefined;
    const save = () => {
      if (window.isDestroyed() || window.isFullScreen() || window.isKiosk()) return;
      const bounds = window.getNormalBounds();
      const display = displayOfBounds(bounds, screen.getAllDisplays().map(displayInfo));
      if (display) this.deps.states.set(stateKey(managed.role, display.id), { bounds, maximized: window.isMaximized() });
    };
    const later = () => {
      clearTimeout(timer);
      timer = setTimeout(save, 500);
    };
    window.on('resize', later);
    window.on('move', later);
    window.on('close', () => {
      clearTimeout(timer);
      save();
    });
  }

  private recoverFromCrashes(managed: ManagedWindow): void {
    const reloads: number[] = [];
    managed.window.webContents.on('render-process-gone', (_event, details) => {
      this.deps.log('window.renderer_gone', { reason: details.reason, exitCode: details.exitCode });
      if (details.reason === 'clean-exit') return;
      const now = Date.now();
      while (reloads.length > 0 && now - (reloads[0] as number) > 60_000) reloads.shift();
      if (reloads.length >= MAX_RELOADS_PER_MINUTE) return;
      reloads.push(now);
      setTimeout(() => {
        if (!managed.window.isDestroyed()) managed.window.webContents.reload();
      }, 1_000);
    });
    managed.window.webContents.on('unresponsive', () => this.deps.log('window.unresponsive', { role: managed.role }));
  }
}
