/**
 * `serve --demo`: provisions the demo fleet in the first factory (devices, fresh API keys,
 * labelled parameters) and starts it publishing to the embedded broker over real MQTT.
 * Keys are re-issued at every start because only their hashes are stored.
 */
import { inferDataType } from '../../engine/telemetry/payload.js';
import { newDeviceApiKey } from '../auth/secrets.js';
import type { Logger } from '../observe/logger.js';
import type { MetaStore } from '../store/meta/meta-store.js';
import type { RuleInput } from '../store/meta/repositories/rules.js';
import { DEMO_FLEET, DEMO_PARAMETER_META } from './catalog.js';
import { startDemoFleet } from './fleet.js';
import { createMachine, step } from './machines.js';
import { mulberry32 } from './random.js';

export interface DemoOptions {
  meta: MetaStore;
  port: number;
  clock: () => number;
  logger: Logger;
  /** Called after demo rules were added, so the alarm service evaluates them at once. */
  rulesChanged?: (factoryId: number) => Promise<void>;
}

/**
 * Rules that catch the faults the simulated machines develop (machines.ts), so a newcomer
 * sees alarms raise, clear and notify. Thresholds sit above each kind's normal range.
 */
const DEMO_RULES: ReadonlyArray<Pick<RuleInput, 'name' | 'description' | 'conditions' | 'severity' | 'onDelaySeconds' | 'deadband'>> = [
  {
    name: 'Compressor airend overheating',
    description: 'Airend temperature above 95 °C (normal 75–87 °C): fouled oil cooler or failed fan.',
    conditions: { operator: 'AND', conditions: [{ parameter: 'temperature', operator: 'gt', value: 95 }] },
    severity: 'high',
    onDelaySeconds: 10,
    deadband: 3,
  },
  {
    name: 'Pump cavitation',
    description: 'Vibration above 7.1 mm/s RMS (ISO 10816 zone D) while the pump runs.',
    conditions: { operator: 'AND', conditions: [{ parameter: 'vibration', operator: 'gt', value: 7.1 }] },
    severity: 'medium',
    onDelaySeconds: 5,
    deadband: 1,
  },
  {
    name: 'Chilled water supply too warm',
    description: 'Supply above 10 °C (setpoint 7 °C) for a minute: the process loses cooling.',
    conditions: { operator: 'AND', conditions: [{ parameter: 'supply_temp', operator: 'gt', value: 10 }] },
    severity: 'critical',
    onDelaySeconds: 60,
    deadband: 0.5,
  },
];

export async function startDemo({ meta, port, clock, logger, rulesChanged }: DemoOptions): Promise<{ stop(): Promise<void> }> {
  const [factory] = await meta.factories.list();
  if (!factory) throw new Error('no factory to put the demo fleet in');
  const now = clock();
  const devices = [];
  for (const spec of DEMO_FLEET) {
    const device =
      (await meta.devices.getByKey(factory.id, spec.deviceKey)) ??
      (await meta.devices.create(factory.id, { deviceKey: spec.deviceKey, name: spec.name, manufacturer: spec.manufacturer, model: spec.model, region: spec.region }, now));
    await meta.deviceCredentials.revokeAll(factory.id, device.id, now);
    const { key, hash, prefix } = newDeviceApiKey();
    await meta.deviceCredentials.add(factory.id, device.id, hash, prefix, now);
    await labelParameters(meta, factory.id, device.id, spec.kind, now);
    devices.push({ deviceKey: spec.deviceKey, apiKey: key, kind: spec.kind, name: spec.name });
  }
  if (await addDemoRules(meta, factory.id, now)) await rulesChanged?.(factory.id);
  const fleet = await startDemoFleet({ mqttUrl: `mqtt://127.0.0.1:${port}`, factorySlug: factory.slug, devices, logger });
  logger.info({ event: 'demo.started', factoryId: factory.id, devices: devices.length }, `demo fleet of ${devices.length} machines publishing to factory "${factory.slug}"`);
  return fleet;
}

/** Discovers the kind's parameters up front and names them, leaving names people set alone. */
async function labelParameters(meta: MetaStore, factoryId: number, deviceId: number, kind: (typeof DEMO_FLEET)[number]['kind'], now: number): Promise<void> {
  const sample = step(createMachine(kind, 'probe', mulberry32(1)), now, 1000);
  await meta.parameters.discover(
    factoryId,
    deviceId,
    Object.entries(sample).map(([key, value]) => ({ key, dataType: inferDataType(value) })),
    now,
  );
  for (const p of await meta.parameters.listForDevice(factoryId, deviceId)) {
    const label = DEMO_PARAMETER_META[p.parameterKey];
    if (!label || (p.displayName !== null && p.unit !== null)) continue;
    await meta.parameters.update(factoryId, deviceId, p.id, { displayName: p.displayName ?? label.displayName, unit: p.unit ?? (label.unit || null) }, now);
  }
}

/** Adds the demo rules missing by name (people may have edited or deleted others); true if any were added. */
async function addDemoRules(meta: MetaStore, factoryId: number, now: number): Promise<boolean> {
  const existing = new Set((await meta.rules.list(factoryId)).map((r) => r.name));
  let added = false;
  for (const rule of DEMO_RULES) {
    if (existing.has(rule.name)) continue;
    await meta.rules.create(
      factoryId,
      {
        ...rule,
        scope: 'global',
        cooldownMinutes: 5,
        isActive: true,
        scheduleType: 'always',
        scheduleConfig: null,
        notificationChannels: { email: true },
        escalationMinutes: null,
        recipients: null,
        deviceIds: [],
      },
      null,
      now,
    );
    added = true;
  }
  return added;
}
