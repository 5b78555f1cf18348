/**
 * Tray icon and application menu: which profile each window shows and whether its stream is
 * connected (reported by the renderer), plus opening profiles and windows.
 */
import { Menu, Tray, app, nativeImage, type MenuItemConstructorOptions } from 'electron';
import type { ConnectionState } from '../../engine/contract/ipc.js';
import type { ProfileStore } from '../core/profile-store.js';
import type { WindowManager } from './windows.js';

const LABELS: Record<ConnectionState, string> = { connecting: 'connecting…', online: 'connected', offline: 'NOT CONNECTED', 'signed-out': 'signed out' };

export class StatusTray {
  private tray: Tray | null = null;
  private readonly states = new Map<number, ConnectionState>();

  constructor(
    private readonly windows: WindowManager,
    private readonly profiles: ProfileStore,
    private readonly iconFile: string,
  ) {}

  setState(windowId: number, state: ConnectionState): void {
    this.states.set(windowId, state);
    this.refresh();
  }

  refresh(): void {
    const open = this.windows.all();
    for (const id of this.states.keys()) if (!open.some((w) => w.id === id)) this.states.delete(id);
    const statusItems: MenuItemConstructorOptions[] = open.map(({ id, window, session }) => {
      const profile = session.profileId ? this.profiles.get(session.profileId) : undefined;
      const state = this.states.get(id) ?? 'connecting';
      return {
        label: `${profile?.name ?? 'Choose a site'}${session.wall ? ` (${session.wall.layout})` : ''}: ${profile ? LABELS[state] : '—'}`,
        click: () => {
          window.show();
          window.focus();
        },
      };
    });
    const profileItems: MenuItemConstructorOptions[] = this.profiles.list().map((profile) => ({
      label: `${profile.name} — ${profile.serverUrl}`,
      click: () => void this.windows.open({ profileId: profile.id, wall: null, kiosk: false }),
    }));
    const template: MenuItemConstructorOptions[] = [
      ...statusItems,
      { type: 'separator' },
      { label: 'Open site', submenu: profileItems.length > 0 ? profileItems : [{ label: 'No profiles yet', enabled: false }] },
      { label: 'Manage sites…', click: () => void this.windows.open({ profileId: null, wall: null, kiosk: false }) },
      { type: 'separator' },
      { label: `FactoryOps ${app.getVersion()}`, enabled: false },
      { label: 'Quit', role: 'quit' },
    ];
    const menu = Menu.buildFromTemplate(template);
    if (!this.tray) {
      this.tray = new Tray(nativeImage.createFromPath(this.iconFile));
      this.tray.on('click', () => this.windows.focused()?.show());
    }
    const offline = [...this.states.values()].some((s) => s === 'offline');
    this.tray.setToolTip(offline ? 'FactoryOps — a site is NOT CONNECTED' : 'FactoryOps');
    this.tray.setContextMenu(menu);
  }
}
