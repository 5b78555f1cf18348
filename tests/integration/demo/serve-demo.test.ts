/**
 * `factoryops serve --demo`, in-process on ephemeral ports (never 1883/1884): the twenty
 * simulated machines sign in to the embedded broker with their own keys and publish over real
 * MQTT; within a bounded wait every one is online with live values, its parameters carry the
 * catalogue's names and units, and the factory summary shows the power they draw.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_FLEET } from '../../../server/demo/catalog.js';
import { counter, waitFor } from '../../helpers/ingest.js';
import { startTestServer, type Session, type TestServer } from '../../helpers/test-server.js';

interface DeviceRow {
  id: number;
  device_key: string;
  status: string;
  last_seen: string | null;
}

describe('serve --demo', () => {
  let server: TestServer;
  let admin: Session;

  beforeAll(async () => {
    server = await startTestServer({ config: { demo: true } });
    admin = await server.login();
  });
  afterAll(async () => {
    await server?.close();
  });

  async function devices(): Promise<DeviceRow[]> {
    const res = await server.api('GET', '/api/v1/devices?per_page=100', { token: admin.accessToken });
    expect(res.status, res.text).toBe(200);
    return res.json.data as DeviceRow[];
  }

  it('brings the twenty demo machines online over MQTT, each with live values', async () => {
    expect(DEMO_FLEET).toHaveLength(20);
    const online = await waitFor(
      async () => {
        const rows = await devices();
        return rows.length === 20 && rows.every((d) => d.status === 'online') && rows;
      },
      'all 20 demo devices online',
      30_000,
      250,
    );
    expect(online.map((d) => d.device_key).sort()).toEqual(DEMO_FLEET.map((d) => d.deviceKey).sort());
    // They came in over the broker, not through a side door.
    expect(await counter(server.api, 'factoryops_telemetry_messages_total', { source: 'mqtt' })).toBeGreaterThanOrEqual(20);

    for (const device of online) {
      const live = await waitFor(
        async () => {
          const res = await server.api('GET', `/api/v1/devices/${device.id}/kpis/live`, { token: admin.accessToken });
          const rows = res.json.data as Array<{ parameter_key: string; value: unknown; unit: string | null; display_name: string | null }>;
          return rows.length > 0 && rows.every((r) => r.value !== null) && rows;
        },
        `live values of ${device.device_key}`,
        15_000,
        250,
      );
      const power = live.find((r) => r.parameter_key === 'power_kw');
      expect(power, device.device_key).toMatchObject({ unit: 'kW', display_name: 'Power' });
      expect(typeof power?.value).toBe('number');
    }
  }, 90_000);

  it('shows the fleet in the dashboard summary with current power above zero', async () => {
    const summary = await waitFor(
      async () => {
        const res = await server.api('GET', '/api/v1/dashboard/summary', { token: admin.accessToken });
        const data = res.json.data as { total_devices: number; active_devices: number; current_energy_kw: number };
        return data.active_devices === 20 && data.current_energy_kw > 0 && data;
      },
      'a summary with 20 active devices drawing power',
      30_000,
      250,
    );
    expect(summary).toMatchObject({ total_devices: 20, active_devices: 20, offline_devices: 0 });
  }, 60_000);

  it('comes with active rules for the faults the machines develop, valid against their parameters', async () => {
    const res = await server.api('GET', '/api/v1/rules', { token: admin.accessToken });
    expect(res.status, res.text).toBe(200);
    const rules = res.json.data as Array<{ name: string; is_active: boolean; scope: string; conditions: { conditions: Array<{ parameter: string }> } }>;
    expect(rules.map((r) => r.name).sort()).toEqual(['Chilled water supply too warm', 'Compressor airend overheating', 'Pump cavitation']);
    const parameters = new Set<string>();
    for (const d of (await server.api('GET', '/api/v1/devices?per_page=100', { token: admin.accessToken })).json.data as Array<{ id: number }>) {
      const one = await server.api('GET', `/api/v1/devices/${d.id}`, { token: admin.accessToken });
      for (const p of one.json.data.parameters as Array<{ parameter_key: string }>) parameters.add(p.parameter_key);
    }
    for (const rule of rules) {
      expect(rule).toMatchObject({ is_active: true, scope: 'global' });
      for (const leaf of rule.conditions.conditions) expect(parameters.has(leaf.parameter), `${rule.name}: ${leaf.parameter}`).toBe(true);
    }
  });
});
