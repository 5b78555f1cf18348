/**
 * Transient updates (DESIGN §8): a component renders its DOM once, then this hook calls
 * `paint` whenever the device's live values change, once a second (ages and staleness move
 * with time), and when the stream link goes up or down (values turn stale) — without React
 * re-rendering anything. `paint` writes text and classes into elements it holds by ref.
 *
 * With `target` (e.g. a table row), painting is skipped while that element is off screen and
 * done at once when it comes into view, with the values of that moment.
 */
import { useLayoutEffect, useRef, type RefObject } from 'react';
import { clockStore } from '../stores/clock-store';
import { linkStore } from '../stores/link-store';
import { liveStore, type DeviceValues } from '../stores/live-store';
import { observeVisibility } from './visibility';

export interface PaintContext {
  values: DeviceValues | undefined;
  now: number;
  /** False while the stream is down: nothing shown can be called current. */
  live: boolean;
}

/**
 * Returns `repaint`, for when what `paint` writes into changed without the values changing
 * (e.g. new cells rendered once a device's parameters arrived).
 */
export function useDeviceTransient(deviceId: number | null, paint: (ctx: PaintContext) => void, target?: RefObject<Element | null>): () => void {
  const paintRef = useRef(paint);
  paintRef.current = paint;
  const runRef = useRef<() => void>(() => {});
  const repaint = useRef(() => runRef.current()).current;
  useLayoutEffect(() => {
    if (deviceId === null) return;
    let values = liveStore.getState().values[deviceId];
    let visible = true;
    let missed = false;
    const run = () => {
      if (!visible) {
        missed = true;
        return;
      }
      missed = false;
      paintRef.current({ values, now: clockStore.getState().now, live: linkStore.getState().state === 'open' });
    };
    runRef.current = run;
    run();
    const element = target?.current ?? null;
    const offVisible = element
      ? observeVisibility(element, (now) => {
          visible = now;
          if (now && missed) run();
        })
      : () => {};
    const offValues = liveStore.subscribe((s) => {
      const next = s.values[deviceId];
      if (next === values) return;
      values = next;
      run();
    });
    const offClock = clockStore.subscribe(run);
    const offLink = linkStore.subscribe((s, prev) => s.state !== prev.state && run());
    return () => {
      runRef.current = () => {};
      offVisible();
      offValues();
      offClock();
      offLink();
    };
  }, [deviceId, target]);
  return repaint;
}

/** Sets text only when it changed (DOM writes are the cost at 4 Hz × hundreds of cells). */
export function setText(el: HTMLElement | null | undefined, text: string): void {
  if (el && el.textContent !== text) el.textContent = text;
}

export function setClass(el: HTMLElement | null | undefined, name: string, on: boolean): void {
  if (el && el.classList.contains(name) !== on) el.classList.toggle(name, on);
}
