/**
 * Window placement across screens. Wall workstations have several displays whose set changes
 * (a screen unplugged for service, a laptop docked), so a window's last bounds are kept per
 * display and only reused when they still lie on that display; otherwise the window is
 * centred on the screen it belongs to. Screens are numbered left to right, top to bottom, as
 * people count them (`--display 2`).
 */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface DisplayInfo {
  id: number;
  bounds: Rect;
  workArea: Rect;
}

export interface SavedWindowState {
  bounds: Rect;
  maximized: boolean;
}

export const DEFAULT_SIZE = { width: 1440, height: 900 } as const;
export const MIN_SIZE = { width: 800, height: 560 } as const;

/** Left to right, then top to bottom. */
export function orderDisplays(displays: readonly DisplayInfo[]): DisplayInfo[] {
  return [...displays].sort((a, b) => a.bounds.x - b.bounds.x || a.bounds.y - b.bounds.y);
}

/** Screen N (1-based) or the primary one; says why when N does not exist. */
export function pickDisplay(displays: readonly DisplayInfo[], number: number | null, primaryId: number): { display: DisplayInfo; warning: string | null } {
  const ordered = orderDisplays(displays);
  const primary = ordered.find((d) => d.id === primaryId) ?? (ordered[0] as DisplayInfo);
  if (number === null) return { display: primary, warning: null };
  const wanted = ordered[number - 1];
  if (wanted) return { display: wanted, warning: null };
  return { display: primary, warning: `screen ${number} is not connected (${ordered.length} found); using the primary screen` };
}

function intersection(a: Rect, b: Rect): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return w > 0 && h > 0 ? w * h : 0;
}

/** Fits a rectangle inside an area: shrinks it if needed, then moves it in. */
export function clampInto(rect: Rect, area: Rect): Rect {
  const width = Math.min(Math.max(rect.width, Math.min(MIN_SIZE.width, area.width)), area.width);
  const height = Math.min(Math.max(rect.height, Math.min(MIN_SIZE.height, area.height)), area.height);
  const x = Math.min(Math.max(rect.x, area.x), area.x + area.width - width);
  const y = Math.min(Math.max(rect.y, area.y), area.y + area.height - height);
  return { x: Math.round(x), y: Math.round(y), width: Math.round(width), height: Math.round(height) };
}

export function centredOn(area: Rect, size: { width: number; height: number } = DEFAULT_SIZE): Rect {
  const width = Math.min(size.width, area.width);
  const height = Math.min(size.height, area.height);
  return { x: Math.round(area.x + (area.width - width) / 2), y: Math.round(area.y + (area.height - height) / 2), width, height };
}

/**
 * Bounds for a window on `display`: the saved ones when at least half of the window is still
 * on that display's work area (clamped fully onto it), else centred there.
 */
export function restoreBounds(saved: SavedWindowState | undefined, display: DisplayInfo): { bounds: Rect; maximized: boolean } {
  if (saved) {
    const area = saved.bounds.width * saved.bounds.height;
    if (area > 0 && intersection(saved.bounds, display.workArea) >= area / 2) {
      return { bounds: clampInto(saved.bounds, display.workArea), maximized: saved.maximized };
    }
  }
  return { bounds: centredOn(display.workArea), maximized: saved?.maximized ?? false };
}

/** The display a window is mostly on (for saving its state under that display). */
export function displayOfBounds(bounds: Rect, displays: readonly DisplayInfo[]): DisplayInfo | undefined {
  let best: DisplayInfo | undefined;
  let bestArea = 0;
  for (const display of displays) {
    const area = intersection(bounds, display.bounds);
    if (area > bestArea) {
      best = display;
      bestArea = area;
    }
  }
  return best;
}

/** State is kept per window role and display: "main@2779098405", "alarms@69733632". */
export function stateKey(role: string, displayId: number): string {
  return `${role}@${displayId}`;
}
