/**
 * Device sign-in for MQTT and HTTP ingest. A device proves itself with its API key
 * (username `{factory_slug}/{device_key}`, password = key). A factory that allows
 * auto-provisioning also accepts its provisioning key: a fleet credential with which unknown
 * device keys are created on their first message.
 */
import { isDeviceKey, isFactorySlug } from '../../engine/telemetry/identifiers.js';
import { constantTimeEqual, sha256Hex } from '../auth/secrets.js';
import type { MetaStore } from '../store/meta/meta-store.js';
import type { DeviceDirectory, KnownDevice, KnownFactory } from './device-directory.js';

export interface DeviceSession {
  factory: KnownFactory;
  deviceKey: string;
  /** null until an auto-provisioned device's first message creates it. */
  device: KnownDevice | null;
  viaProvisioningKey: boolean;
}

export type DeviceAuthFailure = 'bad_username' | 'unknown_factory' | 'unknown_device' | 'inactive_device' | 'bad_key';

export class DeviceAuthenticator {
  constructor(
    private readonly meta: MetaStore,
    private readonly directory: DeviceDirectory,
    private readonly clock: () => number,
  ) {}

  async authenticate(username: string | undefined, password: string | undefined): Promise<DeviceSession | DeviceAuthFailure> {
    const slash = username?.indexOf('/') ?? -1;
    if (!username || slash < 1 || password === undefined || password.length === 0 || password.length > 512) return 'bad_username';
    const slug = username.slice(0, slash);
    const deviceKey = username.slice(slash + 1);
    if (!isFactorySlug(slug) || !isDeviceKey(deviceKey)) return 'bad_username';
    const factory = await this.directory.factoryBySlug(slug);
    if (!factory) return 'unknown_factory';
    const keyHash = sha256Hex(password);
    const device = await this.directory.device(factory.id, deviceKey);
    if (device) {
      if (!device.isActive) return 'inactive_device';
      if (await this.meta.deviceCredentials.verify(factory.id, device.id, keyHash)) {
        return { factory, deviceKey, device, viaProvisioningKey: false };
      }
    }
    const provisioningHash = await this.meta.factories.provisioningKeyHash(factory.id);
    if (provisioningHash !== null && constantTimeEqual(provisioningHash, keyHash)) {
      return { factory, deviceKey, device: device ?? null, viaProvisioningKey: true };
    }
    return device ? 'bad_key' : 'unknown_device';
  }

  /** Creates the device of an auto-provisioned session on its first message (idempotent). */
  async provision(session: DeviceSession): Promise<KnownDevice> {
    if (session.device) return session.device;
    const existing = await this.directory.device(session.factory.id, session.deviceKey);
    if (existing) {
      session.device = existing;
      return existing;
    }
    try {
      const created = await this.meta.devices.create(session.factory.id, { deviceKey: session.deviceKey }, this.clock());
      await this.meta.audit.record(
        session.factory.id,
        { userId: null, actor: 'auto-provisioning', action: 'device.auto_provision', targetType: 'device', targetId: created.id, details: { device_key: created.deviceKey } },
        this.clock(),
      );
    } catch {
      // Lost a race with a concurrent first message: the device exists now.
    }
    this.directory.invalidate(session.factory.id, -1);
    const device = await this.directory.device(session.factory.id, session.deviceKey);
    if (!device) throw new Error(`could not provision device ${session.deviceKey}`);
    session.device = device;
    return device;
  }

  /** Resolves a device key given over HTTP (X-API-Key) to its device. */
  async authenticateApiKey(apiKey: string): Promise<{ factoryId: number; deviceId: number } | undefined> {
    if (apiKey.length < 10 || apiKey.length > 512) return undefined;
    return this.meta.deviceCredentials.findOwner(sha256Hex(apiKey));
  }
}
