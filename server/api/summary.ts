/**
 * The factory summary (seed: GET /dashboard/summary). Power parameters are found by their
 * unit, not by name (no hard-coded parameters): a parameter in kW or W counts toward current
 * power; energy comes from a device's kWh meter when it has one, else from integrated power.
 */
import { startOfLocalDay, startOfLocalMonth } from '../../engine/rules/calendar.js';
import type { DashboardSummary } from '../../engine/contract/telemetry.js';
import type { MetaStore } from '../store/meta/meta-store.js';
import type { SeriesStore } from '../store/series/series-store.js';

const FRESH_MS = 10 * 60_000;

/** Scale to kWh for an energy-counter unit, or null when the unit is not energy. */
export function kilowattHourScale(unit: string | null): number | null {
  switch (unit?.trim()) {
    case 'kWh':
      return 1;
    case 'Wh':
      return 0.001;
    case 'MWh':
      return 1000;
    default:
      return null;
  }
}

/** Scale to kW for a power unit, or null when the unit is not power. */
export function kilowattScale(unit: string | null): number | null {
  switch (unit?.trim()) {
    case 'kW':
      return 1;
    case 'W':
      return 0.001;
    case 'MW':
      return 1000;
    default:
      return null;
  }
}

export async function factorySummary(meta: MetaStore, series: SeriesStore, factoryId: number, now: number, offlineAfterMs: number): Promise<DashboardSummary> {
  const [factory, devices, parameters, openAlerts] = await Promise.all([
    meta.factories.get(factoryId),
    meta.devices.listAll(factoryId),
    meta.parameters.listForFactory(factoryId),
    meta.alerts.openCounts(factoryId),
  ]);
  const timeZone = factory?.timezone ?? 'UTC';
  const total = devices.length;
  const online = devices.filter((d) => d.isActive && d.lastSeen !== null && now - d.lastSeen <= offlineAfterMs).length;
  const activeAlerts = openAlerts.reduce((n, a) => n + a.count, 0);
  const criticalAlerts = openAlerts.filter((a) => a.severity === 'critical').reduce((n, a) => n + a.count, 0);

  const active = new Set(devices.filter((d) => d.isActive).map((d) => d.id));
  const numeric = parameters.filter((p) => active.has(p.deviceId) && (p.dataType === 'float' || p.dataType === 'int'));
  const power = numeric.filter((p) => kilowattScale(p.unit) !== null);
  // A device with an energy meter (a kWh counter) is measured by its meter; others by power.
  const counters = new Map(numeric.filter((p) => kilowattHourScale(p.unit) !== null).map((p) => [p.deviceId, p]));
  const dayStart = startOfLocalDay(now, timeZone);
  const monthStart = startOfLocalMonth(now, timeZone);
  let currentKw = 0;
  let todayKwh = 0;
  let monthKwh = 0;
  await Promise.all(
    power.map(async (p) => {
      const scale = kilowattScale(p.unit) ?? 0;
      const [latest] = await series.latest(factoryId, p.deviceId, [p.parameterKey]);
      if (latest && typeof latest.value === 'number' && now - latest.ts <= FRESH_MS) currentKw += latest.value * scale;
      const counter = counters.get(p.deviceId);
      if (counter) {
        const counterScale = kilowattHourScale(counter.unit) ?? 0;
        todayKwh += await meterDelta(series, factoryId, p.deviceId, counter.parameterKey, dayStart, now, counterScale);
        monthKwh += await meterDelta(series, factoryId, p.deviceId, counter.parameterKey, monthStart, now, counterScale);
      } else {
        todayKwh += await integratedKwh(series, factoryId, p.deviceId, p.parameterKey, dayStart, now, scale, 60_000);
        monthKwh += await integratedKwh(series, factoryId, p.deviceId, p.parameterKey, monthStart, now, scale, 3_600_000);
      }
    }),
  );

  // Seed formula: up to 30 points off for offline devices, up to 20 for open alerts.
  const offlinePenalty = total === 0 ? 0 : Math.min(30, ((total - online) / total) * 30);
  const alertPenalty = total === 0 ? 0 : Math.min(20, (activeAlerts / total) * 10);
  return {
    total_devices: total,
    active_devices: online,
    offline_devices: total - online,
    active_alerts: activeAlerts,
    critical_alerts: criticalAlerts,
    current_energy_kw: round(currentKw, 3),
    energy_today_kwh: round(todayKwh, 3),
    energy_this_month_kwh: round(monthKwh, 3),
    health_score: round(Math.max(0, 100 - offlinePenalty - alertPenalty), 1),
  };
}

/**
 * Energy from a cumulative meter: the rise of the counter inside the window, summed per
 * bucket so a meter reset (a drop) does not subtract.
 */
async function meterDelta(series: SeriesStore, factoryId: number, deviceId: number, parameter: string, from: number, to: number, scale: number): Promise<number> {
  if (to <= from) return 0;
  const range = await series.range(factoryId, deviceId, parameter, from, to, 1000);
  let kwh = 0;
  let previous: number | null = null;
  for (const b of range.buckets) {
    if (b.min === null || typeof b.last !== 'number') continue;
    const start: number = previous ?? b.min;
    if (b.last >= start) kwh += b.last - start;
    else kwh += Math.max(0, b.last - b.min);
    previous = b.last;
  }
  return kwh * scale;
}

/**
 * Energy from power: mean power per bucket × the bucket's time inside the window. Buckets
 * without data count nothing; a bucket only partly covered by data overestimates by at most
 * its width, so the width is kept small (1 minute for today, 1 hour for the month).
 */
async function integratedKwh(series: SeriesStore, factoryId: number, deviceId: number, parameter: string, from: number, to: number, scale: number, widthMs: number): Promise<number> {
  if (to <= from) return 0;
  const points = Math.max(1, Math.min(100_000, Math.floor((to - from) / widthMs)));
  const range = await series.range(factoryId, deviceId, parameter, from, to, points);
  let kwh = 0;
  for (const b of range.buckets) {
    if (b.avg === null) continue;
    const start = Math.max(b.ts, from);
    const end = Math.min(b.ts + range.bucketMs, to);
    kwh += b.avg * scale * ((end - start) / 3_600_000);
  }
  return kwh;
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
