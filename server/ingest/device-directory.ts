/**
 * The ingest path's view of factories and devices, kept in memory so a message never waits
 * on a metadata query once its device is known (DESIGN.md §4). Filled on first sight from
 * the MetaStore; the API tells it when a device changes (deactivated, key rotated).
 */
import type { ParameterDataType } from '../../engine/telemetry/payload.js';
import type { MetaStore } from '../store/meta/meta-store.js';

export interface KnownFactory {
  id: number;
  slug: string;
  timezone: string;
}

export interface KnownDevice {
  factoryId: number;
  id: number;
  deviceKey: string;
  isActive: boolean;
  /** Parameter key → data type as discovered; filled on the device's first message. */
  parameters: Map<string, ParameterDataType> | null;
}

/** Misses are remembered briefly so a storm of messages for an unknown key stays cheap. */
const NEGATIVE_TTL_MS = 5_000;

export class DeviceDirectory {
  private readonly factoriesBySlug = new Map<string, KnownFactory | { missingUntil: number }>();
  private readonly devices = new Map<string, KnownDevice | { missingUntil: number }>();
  private readonly devicesById = new Map<number, KnownDevice>();
  private readonly loadingParameters = new WeakMap<KnownDevice, Promise<Map<string, ParameterDataType>>>();

  constructor(
    private readonly meta: MetaStore,
    private readonly clock: () => number,
  ) {}

  async factoryBySlug(slug: string): Promise<KnownFactory | undefined> {
    const cached = this.factoriesBySlug.get(slug);
    if (cached && 'id' in cached) return cached;
    if (cached && cached.missingUntil > this.clock()) return undefined;
    const factory = await this.meta.factories.getBySlug(slug);
    if (!factory) {
      this.factoriesBySlug.set(slug, { missingUntil: this.clock() + NEGATIVE_TTL_MS });
      return undefined;
    }
    const known = { id: factory.id, slug: factory.slug, timezone: factory.timezone };
    this.factoriesBySlug.set(slug, known);
    return known;
  }

  /** The device as cached, without I/O (the hot path's first try). */
  cachedDevice(factoryId: number, deviceKey: string): KnownDevice | undefined {
    const cached = this.devices.get(`${factoryId}/${deviceKey}`);
    return cached && 'id' in cached ? cached : undefined;
  }

  async device(factoryId: number, deviceKey: string): Promise<KnownDevice | undefined> {
    const key = `${factoryId}/${deviceKey}`;
    const cached = this.devices.get(key);
    if (cached && 'id' in cached) return cached;
    if (cached && cached.missingUntil > this.clock()) return undefined;
    const device = await this.meta.devices.getByKey(factoryId, deviceKey);
    if (!device) {
      this.devices.set(key, { missingUntil: this.clock() + NEGATIVE_TTL_MS });
      return undefined;
    }
    return this.remember({ factoryId, id: device.id, deviceKey: device.deviceKey, isActive: device.isActive, parameters: null });
  }

  deviceById(deviceId: number): KnownDevice | undefined {
    return this.devicesById.get(deviceId);
  }

  remember(device: KnownDevice): KnownDevice {
    this.devices.set(`${device.factoryId}/${device.deviceKey}`, device);
    this.devicesById.set(device.id, device);
    return device;
  }

  /**
   * Loads the device's known parameters once, so discovery is a Set lookup afterwards. Calls
   * while the load runs share it: a device's first burst of messages costs one query, not one
   * per message.
   */
  parametersOf(device: KnownDevice): Promise<Map<string, ParameterDataType>> {
    if (device.parameters) return Promise.resolve(device.parameters);
    let loading = this.loadingParameters.get(device);
    if (!loading) {
      loading = this.meta.parameters
        .listForDevice(device.factoryId, device.id)
        .then((rows) => (device.parameters ??= new Map(rows.map((p) => [p.parameterKey, p.dataType]))))
        .finally(() => this.loadingParameters.delete(device));
      this.loadingParameters.set(device, loading);
    }
    return loading;
  }

  /** Forget a device (changed through the API); the next message reloads it. */
  invalidate(factoryId: number, deviceId: number): void {
    const known = this.devicesById.get(deviceId);
    if (known && known.factoryId === factoryId) {
      this.devices.delete(`${factoryId}/${known.deviceKey}`);
      this.devicesById.delete(deviceId);
    }
    // A device created through the API must not stay hidden behind a negative entry.
    for (const [key, value] of this.devices) {
      if (!('id' in value) && key.startsWith(`${factoryId}/`)) this.devices.delete(key);
    }
  }
}
