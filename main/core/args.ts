/**
 * Command-line flags of the desktop app (wall workstations are configured by their launcher):
 *
 *   factoryops-desktop --kiosk --profile plant-1 --display 2 --layout alarms
 *   factoryops-desktop --kiosk --window alarms@1 --window trends@2 --devices 3,4 --cycle 30
 *
 * Chromium and Electron put their own switches on the same command line (and a second
 * instance forwards its whole argv), so unknown flags are ignored; a known flag with a bad
 * value is an error with one clear sentence, because a wall that silently shows the wrong
 * layout is worse than one that says why it did not start.
 */
import { WALL_LAYOUTS, type WallLayout } from '../../engine/contract/bridge.js';

export interface WallWindowRequest {
  layout: WallLayout;
  /** 1-based display number as people count screens (left to right); null = primary. */
  display: number | null;
}

export interface ShellOptions {
  kiosk: boolean;
  /** Wall windows to open; empty = one normal window. */
  windows: WallWindowRequest[];
  /** Connection profile to open; null = the last one used. */
  profileId: string | null;
  /** Device ids for the trends layout. */
  devices: number[];
  cycleSeconds: number | null;
  /** true/false: register/unregister start with the session; null: leave as it is. */
  autoStart: boolean | null;
}

export class ArgsError extends Error {
  override readonly name = 'ArgsError';
}

const VALUE_FLAGS = new Set(['--display', '--layout', '--window', '--profile', '--devices', '--cycle']);
const BOOLEAN_FLAGS = new Set(['--kiosk', '--auto-start', '--no-auto-start']);

function layoutOf(value: string, flag: string): WallLayout {
  if ((WALL_LAYOUTS as readonly string[]).includes(value)) return value as WallLayout;
  throw new ArgsError(`${flag} must be one of ${WALL_LAYOUTS.join(', ')}, got "${value}"`);
}

function displayOf(value: string, flag: string): number {
  if (!/^\d{1,2}$/.test(value) || Number(value) < 1) throw new ArgsError(`${flag} must be a screen number from 1 (left-most), got "${value}"`);
  return Number(value);
}

/** Splits `--flag=value` and `--flag value`; returns the pairs for our flags only. */
function ourFlags(argv: readonly string[]): Array<[string, string | true]> {
  const pairs: Array<[string, string | true]> = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith('--')) continue;
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg : arg.slice(0, eq);
    if (BOOLEAN_FLAGS.has(name)) {
      if (eq !== -1) throw new ArgsError(`${name} takes no value`);
      pairs.push([name, true]);
    } else if (VALUE_FLAGS.has(name)) {
      let value: string | undefined;
      if (eq !== -1) value = arg.slice(eq + 1);
      else {
        value = argv[i + 1];
        if (value === undefined || value.startsWith('--')) throw new ArgsError(`${name} needs a value`);
        i++;
      }
      pairs.push([name, value]);
    }
  }
  return pairs;
}

export function parseShellArgs(argv: readonly string[]): ShellOptions {
  const options: ShellOptions = { kiosk: false, windows: [], profileId: null, devices: [], cycleSeconds: null, autoStart: null };
  let layout: WallLayout | null = null;
  let display: number | null = null;
  for (const [flag, value] of ourFlags(argv)) {
    switch (flag) {
      case '--kiosk':
        options.kiosk = true;
        break;
      case '--auto-start':
        options.autoStart = true;
        break;
      case '--no-auto-start':
        options.autoStart = false;
        break;
      case '--layout':
        layout = layoutOf(value as string, flag);
        break;
      case '--display':
        display = displayOf(value as string, flag);
        break;
      case '--window': {
        const match = /^([a-z]+)(?:@(\d{1,2}))?$/.exec(value as string);
        if (!match) throw new ArgsError(`--window must be LAYOUT or LAYOUT@SCREEN (e.g. alarms@2), got "${String(value)}"`);
        options.windows.push({ layout: layoutOf(match[1] as string, flag), display: match[2] === undefined ? null : displayOf(match[2], flag) });
        break;
      }
      case '--profile':
        if (!/^[a-z0-9][a-z0-9-]{0,39}$/.test(value as string)) throw new ArgsError(`--profile must be a profile id (lower-case letters, digits, dashes), got "${String(value)}"`);
        options.profileId = value as string;
        break;
      case '--devices': {
        const ids = (value as string).split(',').map((part) => part.trim());
        if (ids.length > 16 || ids.some((id) => !/^[1-9]\d{0,9}$/.test(id))) throw new ArgsError(`--devices must be up to 16 device ids separated by commas, got "${String(value)}"`);
        options.devices = ids.map(Number);
        break;
      }
      case '--cycle': {
        const seconds = Number(value);
        if (!/^\d+$/.test(value as string) || seconds < 5 || seconds > 3600) throw new ArgsError(`--cycle must be seconds between 5 and 3600, got "${String(value)}"`);
        options.cycleSeconds = seconds;
        break;
      }
    }
  }
  if (display !== null && layout === null && options.windows.length === 0) layout = 'overview';
  if (layout !== null) options.windows.unshift({ layout, display });
  const seen = new Set<string>();
  for (const window of options.windows) {
    const key = `${window.display ?? 'primary'}`;
    if (seen.has(key)) throw new ArgsError(`two wall windows asked for the same screen (${window.display === null ? 'primary' : `screen ${window.display}`})`);
    seen.add(key);
  }
  return options;
}

/** A wall is anything that asked for a layout or kiosk: no sign-in chrome, power-save blocked. */
export function isWall(options: ShellOptions): boolean {
  return options.kiosk || options.windows.length > 0;
}
