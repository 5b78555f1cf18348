/**
 * `serve --demo`: provisions the demo fleet in the first factory (devices, fresh API keys,
 * labelled parameters) and starts it publishing to the embedded broker over real MQTT.
 * Keys are re-issued at every start because only their hashes are stored.
 */
import { inferDataType } from '../../engine/telemetry/payload.js';
import { newDeviceApiKey } from '../auth/secrets.js';
import type { Logger } from '../observe/logger.js';
import type { MetaStore } from '../store/meta/meta-store.js';
import { DEMO_FLEET, DEMO_PARAMETER_META } from './catalog.js';
import { startDemoFleet } from './fleet.js';
import { createMachine, step } from './machines.js';
import { mulberry32 } from './random.js';

export interface DemoOptions {
  meta: MetaStore;
  port: number;
  clock: () => number;
  logger: Logger;
}

export async function startDemo({ meta, port, clock, logger }: DemoOptions): Promise<{ stop(): Promise<void> }> {
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
