import { describe, expect, it } from 'vitest';
import { ArgsError, isWall, parseShellArgs } from '../../../main/core/args.js';

describe('desktop command line', () => {
  it('gives a normal window with no flags, ignoring Chromium and Electron switches', () => {
    const options = parseShellArgs(['/opt/FactoryOps/factoryops', '--no-sandbox', '--enable-features=X', '.', '--inspect=9229']);
    expect(options).toEqual({ kiosk: false, windows: [], profileId: null, devices: [], cycleSeconds: null, autoStart: null });
    expect(isWall(options)).toBe(false);
  });

  it('reads a wall: kiosk, screen, layout, profile, devices and cycling', () => {
    const options = parseShellArgs(['app', '--kiosk', '--display', '2', '--layout=alarms', '--profile', 'plant-1', '--devices', '3, 7', '--cycle', '30', '--auto-start']);
    expect(options).toEqual({ kiosk: true, windows: [{ layout: 'alarms', display: 2 }], profileId: 'plant-1', devices: [3, 7], cycleSeconds: 30, autoStart: true });
    expect(isWall(options)).toBe(true);
  });

  it('opens several wall windows on different screens', () => {
    const options = parseShellArgs(['app', '--window', 'alarms@1', '--window=trends@2', '--window', 'overview']);
    expect(options.windows).toEqual([
      { layout: 'alarms', display: 1 },
      { layout: 'trends', display: 2 },
      { layout: 'overview', display: null },
    ]);
  });

  it('treats --display alone as the overview on that screen', () => {
    expect(parseShellArgs(['app', '--display', '3']).windows).toEqual([{ layout: 'overview', display: 3 }]);
  });

  it.each([
    [['--layout', 'dashboard'], '--layout must be one of overview, alarms, trends, got "dashboard"'],
    [['--display', '0'], '--display must be a screen number from 1 (left-most), got "0"'],
    [['--display'], '--display needs a value'],
    [['--window', 'alarms@x'], '--window must be LAYOUT or LAYOUT@SCREEN (e.g. alarms@2), got "alarms@x"'],
    [['--profile', '../etc'], '--profile must be a profile id (lower-case letters, digits, dashes), got "../etc"'],
    [['--devices', '1,a'], '--devices must be up to 16 device ids separated by commas, got "1,a"'],
    [['--cycle', '2'], '--cycle must be seconds between 5 and 3600, got "2"'],
    [['--kiosk=yes'], '--kiosk takes no value'],
    [['--window', 'alarms@2', '--window', 'trends@2'], 'two wall windows asked for the same screen (screen 2)'],
  ])('refuses %j with one clear sentence', (argv, message) => {
    expect(() => parseShellArgs(['app', ...argv])).toThrow(new ArgsError(message));
  });

  it('lets --no-auto-start turn auto-start off', () => {
    expect(parseShellArgs(['app', '--no-auto-start']).autoStart).toBe(false);
  });
});
