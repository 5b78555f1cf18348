import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WindowStateStore } from '../../../main/core/window-state-store.js';
import { clampInto, displayOfBounds, orderDisplays, pickDisplay, restoreBounds, stateKey, type DisplayInfo } from '../../../main/core/window-state.js';

// Two 1920x1080 screens side by side (the right one is primary) and a 4K screen above them.
const left: DisplayInfo = { id: 11, bounds: { x: -1920, y: 0, width: 1920, height: 1080 }, workArea: { x: -1920, y: 0, width: 1920, height: 1040 } };
const right: DisplayInfo = { id: 22, bounds: { x: 0, y: 0, width: 1920, height: 1080 }, workArea: { x: 0, y: 0, width: 1920, height: 1040 } };
const top: DisplayInfo = { id: 33, bounds: { x: 0, y: -2160, width: 3840, height: 2160 }, workArea: { x: 0, y: -2160, width: 3840, height: 2160 } };
const displays = [right, top, left];

describe('window placement across screens', () => {
  it('numbers screens left to right, then top to bottom', () => {
    expect(orderDisplays(displays).map((d) => d.id)).toEqual([11, 33, 22]);
    expect(pickDisplay(displays, 1, 22)).toEqual({ display: left, warning: null });
    expect(pickDisplay(displays, 3, 22).display).toBe(right);
  });

  it('falls back to the primary screen, saying why, when screen N is not connected', () => {
    expect(pickDisplay(displays, 5, 22)).toEqual({ display: right, warning: 'screen 5 is not connected (3 found); using the primary screen' });
    expect(pickDisplay(displays, null, 22)).toEqual({ display: right, warning: null });
  });

  it('restores saved bounds that still lie on the display', () => {
    const saved = { bounds: { x: 100, y: 50, width: 1200, height: 800 }, maximized: true };
    expect(restoreBounds(saved, right)).toEqual({ bounds: saved.bounds, maximized: true });
  });

  it('pulls a window that hangs off the edge back fully onto the work area', () => {
    const saved = { bounds: { x: 900, y: 400, width: 1200, height: 800 }, maximized: false };
    expect(restoreBounds(saved, right).bounds).toEqual({ x: 720, y: 240, width: 1200, height: 800 });
  });

  it('centres the window when the saved place is on a screen that is gone', () => {
    const saved = { bounds: { x: -1800, y: 100, width: 1200, height: 800 }, maximized: false };
    expect(restoreBounds(saved, right).bounds).toEqual({ x: 240, y: 70, width: 1440, height: 900 });
    expect(restoreBounds(undefined, left).bounds).toEqual({ x: -1680, y: 70, width: 1440, height: 900 });
  });

  it('shrinks windows larger than the screen, but not below the minimum where it fits', () => {
    expect(clampInto({ x: 0, y: 0, width: 5000, height: 5000 }, right.workArea)).toEqual({ x: 0, y: 0, width: 1920, height: 1040 });
    expect(clampInto({ x: 10, y: 10, width: 200, height: 100 }, right.workArea)).toEqual({ x: 10, y: 10, width: 800, height: 560 });
  });

  it('finds the display a window is mostly on', () => {
    expect(displayOfBounds({ x: -300, y: 0, width: 1000, height: 500 }, displays)?.id).toBe(22);
    expect(displayOfBounds({ x: -900, y: 0, width: 1000, height: 500 }, displays)?.id).toBe(11);
    expect(displayOfBounds({ x: 9000, y: 9000, width: 10, height: 10 }, displays)).toBeUndefined();
  });

  it('keeps state per role and display in a file, ignoring a damaged one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fo-wstate-'));
    try {
      const file = join(dir, 'window-state.json');
      const store = new WindowStateStore(file);
      store.set(stateKey('alarms', 22), { bounds: { x: 1, y: 2, width: 900, height: 700 }, maximized: false });
      expect(new WindowStateStore(file).get('alarms@22')).toEqual({ bounds: { x: 1, y: 2, width: 900, height: 700 }, maximized: false });
      expect(new WindowStateStore(file).get('alarms@11')).toBeUndefined();
      writeFileSync(file, '{"alarms@22": {"bounds": "oops"}}');
      expect(new WindowStateStore(file).get('alarms@22')).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
