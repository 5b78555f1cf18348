/** Domain records → wire shapes (snake_case, ISO times), in one place. */
import type { Device, DeviceParameter, Factory, User } from '../store/meta/models.js';

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : iso(ms);
}

export function factoryView(f: Factory) {
  return { id: f.id, name: f.name, slug: f.slug };
}

export function userView(u: User) {
  return {
    id: u.id,
    email: u.email,
    role: u.role,
    permissions: u.permissions,
    is_active: u.isActive,
    whatsapp_number: u.whatsappNumber,
    phone_number: u.phoneNumber,
    invite_pending: !u.hasPassword,
    invited_at: isoOrNull(u.invitedAt),
    last_login: isoOrNull(u.lastLogin),
    created_at: iso(u.createdAt),
  };
}

export function deviceStatus(lastSeen: number | null, now: number, offlineAfterMs: number): 'online' | 'offline' | 'never_seen' {
  if (lastSeen === null) return 'never_seen';
  return now - lastSeen <= offlineAfterMs ? 'online' : 'offline';
}

export function deviceView(d: Device, now: number, offlineAfterMs: number, apiKeyPrefix: string | null) {
  return {
    id: d.id,
    device_key: d.deviceKey,
    name: d.name,
    manufacturer: d.manufacturer,
    model: d.model,
    region: d.region,
    is_active: d.isActive,
    last_seen: isoOrNull(d.lastSeen),
    status: deviceStatus(d.lastSeen, now, offlineAfterMs),
    api_key_prefix: apiKeyPrefix,
    created_at: iso(d.createdAt),
    updated_at: iso(d.updatedAt),
  };
}

export function parameterView(p: DeviceParameter) {
  return {
    id: p.id,
    parameter_key: p.parameterKey,
    display_name: p.displayName,
    unit: p.unit,
    data_type: p.dataType,
    is_kpi_selected: p.isKpiSelected,
    discovered_at: iso(p.discoveredAt),
  };
}
