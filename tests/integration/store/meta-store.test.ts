/**
 * The metadata store on every dialect it claims (DESIGN.md §3): SQLite and MariaDB run the
 * same suite through openMetaStore(). Covers migrations, each repository, transactions,
 * unicode, value types (epoch-ms numbers, real booleans) and factory isolation.
 */
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_PERMISSIONS, NO_PERMISSIONS } from '../../../engine/contract/roles.js';
import { openMetaDatabase } from '../../../server/store/meta/connect.js';
import { openMetaStore, type MetaStore } from '../../../server/store/meta/meta-store.js';
import { MIGRATION_NAMES, migrateToLatest } from '../../../server/store/meta/migrate.js';
import { DuplicateKeyError, NotInFactoryError, type Device, type Factory, type User } from '../../../server/store/meta/models.js';
import { META_DIALECTS, type MetaTargetHandle } from '../../helpers/meta-targets.js';

/** 2026-01-01T00:00:00Z: well past 2^32, so only a real BIGINT column holds it. */
const T0 = 1_767_225_600_000;

function expectMs(value: unknown): void {
  expect(typeof value).toBe('number');
  expect(Number.isSafeInteger(value)).toBe(true);
}

function hex(n: number, fill: string): string {
  return fill.repeat(64).slice(0, 64 - String(n).length) + String(n);
}

describe.each(META_DIALECTS)('MetaStore on $name', ({ name, create }) => {
  let handle: MetaTargetHandle | undefined;
  let store: MetaStore;
  let seq = 0;

  /** A fresh factory per test keeps the tests independent on the shared database. */
  async function newFactory(label = 'f'): Promise<Factory> {
    seq += 1;
    return store.factories.create({ slug: `${label}-${seq}`, name: `Factory ${label} ${seq}` }, T0);
  }

  beforeAll(async () => {
    handle = await create();
    store = await openMetaStore(handle.target);
  });

  afterAll(async () => {
    await store?.close();
    await handle?.cleanup();
  });

  describe('migrations', () => {
    it('creates the schema on an empty database', async () => {
      expect(store.dialect).toBe(name === 'sqlite' ? 'sqlite' : 'mysql');
      await store.ping();
      const conn = await openMetaDatabase(handle!.target);
      try {
        const tables = (await conn.db.introspection.getTables()).map((t) => t.name).sort();
        for (const table of [
          'alarm_states',
          'alerts',
          'analytics_jobs',
          'audit_log',
          'device_credentials',
          'device_parameters',
          'devices',
          'factories',
          'refresh_tokens',
          'reports',
          'rule_devices',
          'rules',
          'users',
        ]) {
          expect(tables).toContain(table);
        }
      } finally {
        await conn.db.destroy();
      }
    });

    it('is idempotent: reopening keeps the data and applies nothing twice', async () => {
      const factory = await newFactory('reopen');
      const second = await openMetaStore(handle!.target);
      try {
        expect(await second.factories.getBySlug(factory.slug)).toEqual(factory);
      } finally {
        await second.close();
      }
      const third = await openMetaStore(handle!.target);
      await third.close();

      const conn = await openMetaDatabase(handle!.target);
      try {
        expect(await migrateToLatest(conn.db as Kysely<unknown>, conn.dialect)).toEqual([]);
        const applied = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(conn.db);
        expect(applied.rows.map((r) => r.name)).toEqual([...MIGRATION_NAMES]);
      } finally {
        await conn.db.destroy();
      }
    });
  });

  describe('integrity', () => {
    it('declares foreign keys as named table constraints (MySQL < 9 ignores inline REFERENCES)', async () => {
      const conn = await openMetaDatabase(handle!.target);
      try {
        const { rows } =
          conn.dialect === 'mysql'
            ? await sql<{ name: string }>`select constraint_name as name from information_schema.referential_constraints
                where constraint_schema = database() and table_name = 'device_credentials'`.execute(conn.db)
            : await sql<{ name: string }>`select "table" as name from pragma_foreign_key_list('device_credentials')`.execute(conn.db);
        const names = rows.map((r) => r.name).sort();
        expect(names).toEqual(
          conn.dialect === 'mysql' ? ['device_credentials_device_id_fk', 'device_credentials_factory_id_fk'] : ['devices', 'factories'],
        );
      } finally {
        await conn.db.destroy();
      }
    });

    it('enforces foreign keys on every dialect', async () => {
      await expect(store.devices.create(999_999, { deviceKey: 'orphan' }, T0)).rejects.toThrow();
      await expect(
        store.users.create(999_999, { email: 'orphan@example.com', role: 'viewer', permissions: NO_PERMISSIONS }, T0),
      ).rejects.toThrow();
      await expect(
        store.audit.record(999_999, { userId: null, actor: 'system', action: 'x', targetType: 'y' }, T0),
      ).rejects.toThrow();
      // Parent rows missing altogether: refused before the insert, like another factory's.
      const f = await newFactory('fk');
      await expect(store.deviceCredentials.add(f.id, 999_999, hex(31, 'a'), 'fo_x', T0)).rejects.toBeInstanceOf(NotInFactoryError);
      await expect(
        store.parameters.discover(f.id, 999_999, [{ key: 'temp', dataType: 'float' }], T0),
      ).rejects.toBeInstanceOf(NotInFactoryError);
    });
  });

  describe('factories', () => {
    it('creates, lists, finds by slug and updates', async () => {
      seq += 1;
      const slug = `acme-${seq}`;
      const created = await store.factories.create({ slug, name: 'Presse 3 – Halle Süd', timezone: 'Europe/Berlin' }, T0);
      expect(created).toEqual({
        id: expect.any(Number),
        slug,
        name: 'Presse 3 – Halle Süd',
        timezone: 'Europe/Berlin',
        allowAutoProvision: false,
        hasProvisioningKey: false,
        createdAt: T0,
        updatedAt: T0,
      });
      expectMs(created.createdAt);
      expect(typeof created.allowAutoProvision).toBe('boolean');

      expect(await store.factories.getBySlug(slug)).toEqual(created);
      expect(await store.factories.get(created.id)).toEqual(created);
      expect(await store.factories.getBySlug(`${slug}-missing`)).toBeUndefined();
      expect(await store.factories.get(999_999)).toBeUndefined();
      expect((await store.factories.list()).map((f) => f.id)).toContain(created.id);

      const defaults = await newFactory('tz');
      expect(defaults.timezone).toBe('UTC');

      expect(await store.factories.provisioningKeyHash(created.id)).toBeNull();
      const updated = await store.factories.update(
        created.id,
        { allowAutoProvision: true, provisioningKeyHash: 'a'.repeat(64), name: 'Werk 压缩机 🏭' },
        T0 + 5,
      );
      expect(updated).toMatchObject({
        allowAutoProvision: true,
        hasProvisioningKey: true,
        name: 'Werk 压缩机 🏭',
        createdAt: T0,
        updatedAt: T0 + 5,
      });
      expect(await store.factories.provisioningKeyHash(created.id)).toBe('a'.repeat(64));
      await store.factories.update(created.id, { allowAutoProvision: false }, T0 + 6);
      expect(await store.factories.provisioningKeyHash(created.id)).toBeNull();
      expect(await store.factories.update(999_999, { name: 'x' }, T0)).toBeUndefined();
    });

    it('rejects a duplicate slug with DuplicateKeyError', async () => {
      const factory = await newFactory('dup');
      const attempt = store.factories.create({ slug: factory.slug, name: 'Other' }, T0);
      await expect(attempt).rejects.toBeInstanceOf(DuplicateKeyError);
      await expect(store.factories.create({ slug: factory.slug, name: 'Other' }, T0)).rejects.toMatchObject({
        what: 'factory_slug',
      });
    });

    it('lists factories by name', async () => {
      const names = (await store.factories.list()).map((f) => f.name);
      expect(names).toEqual([...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    });
  });

  describe('users', () => {
    it('creates with a normalised email, unique per factory', async () => {
      const a = await newFactory('users-a');
      const b = await newFactory('users-b');
      const alice = await store.users.create(
        a.id,
        { email: '  Alice@Example.COM ', role: 'admin', permissions: ALL_PERMISSIONS, hashedPassword: '$argon2id$x' },
        T0,
      );
      expect(alice).toEqual({
        id: expect.any(Number),
        factoryId: a.id,
        email: 'alice@example.com',
        whatsappNumber: null,
        phoneNumber: null,
        role: 'admin',
        permissions: ALL_PERMISSIONS,
        isActive: true,
        hasPassword: true,
        invitedAt: null,
        inviteExpiresAt: null,
        lastLogin: null,
        createdAt: T0,
        updatedAt: T0,
      });
      expect(alice).not.toHaveProperty('hashedPassword');

      await expect(
        store.users.create(a.id, { email: 'ALICE@example.com', role: 'viewer', permissions: NO_PERMISSIONS }, T0),
      ).rejects.toMatchObject({ name: 'DuplicateKeyError', what: 'email' });

      const aliceB = await store.users.create(b.id, { email: 'alice@example.com', role: 'viewer', permissions: NO_PERMISSIONS }, T0);
      expect(aliceB.factoryId).toBe(b.id);
      expect(aliceB.id).not.toBe(alice.id);

      const found = await store.users.findByEmail(a.id, 'ALICE@EXAMPLE.com');
      expect(found).toEqual({ ...alice, hashedPassword: '$argon2id$x' });
      expect((await store.users.findByEmail(b.id, 'alice@example.com'))?.id).toBe(aliceB.id);
      expect(await store.users.findByEmail(a.id, 'nobody@example.com')).toBeUndefined();

      expect((await store.users.list(a.id)).map((u) => u.id)).toEqual([alice.id]);
      expect(await store.users.get(a.id, alice.id)).toEqual(alice);
    });

    it('updates role, permissions, active flag and contact numbers; records logins', async () => {
      const f = await newFactory('users-upd');
      const u = await store.users.create(f.id, { email: 'op@example.com', role: 'viewer', permissions: NO_PERMISSIONS }, T0);
      expect(u.hasPassword).toBe(false);

      const updated = await store.users.update(
        f.id,
        u.id,
        {
          role: 'operator',
          permissions: { ...NO_PERMISSIONS, can_create_rules: true },
          isActive: false,
          whatsappNumber: '+49 170 000',
        },
        T0 + 10,
      );
      expect(updated).toEqual({
        ...u,
        role: 'operator',
        permissions: { ...NO_PERMISSIONS, can_create_rules: true },
        isActive: false,
        whatsappNumber: '+49 170 000',
        updatedAt: T0 + 10,
      });
      expect(typeof updated?.isActive).toBe('boolean');

      // An update that changes no column still finds the row.
      expect(await store.users.update(f.id, u.id, {}, T0 + 10)).toEqual(updated);
      expect(await store.users.update(f.id, 999_999, { role: 'admin' }, T0)).toBeUndefined();

      await store.users.recordLogin(f.id, u.id, T0 + 20);
      const after = await store.users.get(f.id, u.id);
      expect(after?.lastLogin).toBe(T0 + 20);
      expectMs(after?.lastLogin);
    });

    it('runs the invite flow; an invite is accepted exactly once even when raced', async () => {
      const f = await newFactory('invite');
      const tokenHash = hex(1, 'c');
      const invited = await store.users.create(
        f.id,
        {
          email: 'Jürgen@Example.com',
          role: 'operator',
          permissions: NO_PERMISSIONS,
          inviteTokenHash: tokenHash,
          invitedAt: T0,
          inviteExpiresAt: T0 + 86_400_000,
          isActive: false,
        },
        T0,
      );
      expect(invited).toMatchObject({
        email: 'jürgen@example.com',
        hasPassword: false,
        isActive: false,
        invitedAt: T0,
        inviteExpiresAt: T0 + 86_400_000,
      });
      expectMs(invited.inviteExpiresAt);

      expect(await store.users.findByInviteTokenHash(f.id, tokenHash)).toEqual(invited);
      expect(await store.users.findByInviteTokenHash(f.id, hex(2, 'c'))).toBeUndefined();

      const results = await Promise.all([
        store.users.acceptInvite(f.id, invited.id, tokenHash, '$argon2id$first', T0 + 1),
        store.users.acceptInvite(f.id, invited.id, tokenHash, '$argon2id$second', T0 + 2),
      ]);
      expect(results.filter((r) => r)).toHaveLength(1);
      const winner = results[0] ? '$argon2id$first' : '$argon2id$second';

      const after = await store.users.findByEmail(f.id, 'jürgen@example.com');
      expect(after).toMatchObject({ hasPassword: true, hashedPassword: winner, isActive: true, inviteExpiresAt: null });
      expect(await store.users.findByInviteTokenHash(f.id, tokenHash)).toBeUndefined();
      expect(await store.users.acceptInvite(f.id, invited.id, tokenHash, '$argon2id$third', T0 + 3)).toBe(false);
      expect((await store.users.findByEmail(f.id, 'jürgen@example.com'))?.hashedPassword).toBe(winner);
    });
  });

  describe('devices', () => {
    it('creates devices; a key is unique within a factory only', async () => {
      const a = await newFactory('dev-a');
      const b = await newFactory('dev-b');
      const d = await store.devices.create(a.id, { deviceKey: 'press-3', name: 'Presse 3 – Halle Süd', region: '压缩机' }, T0);
      expect(d).toEqual({
        id: expect.any(Number),
        factoryId: a.id,
        deviceKey: 'press-3',
        name: 'Presse 3 – Halle Süd',
        manufacturer: null,
        model: null,
        region: '压缩机',
        isActive: true,
        lastSeen: null,
        createdAt: T0,
        updatedAt: T0,
      });
      await expect(store.devices.create(a.id, { deviceKey: 'press-3' }, T0)).rejects.toMatchObject({
        name: 'DuplicateKeyError',
        what: 'device_key',
      });
      await expect(store.devices.create(a.id, { deviceKey: 'press-3' }, T0)).rejects.toBeInstanceOf(DuplicateKeyError);
      // Keys compare exactly: a different case is a different device on both dialects.
      const upper = await store.devices.create(a.id, { deviceKey: 'PRESS-3' }, T0);
      expect(upper.id).not.toBe(d.id);

      const other = await store.devices.create(b.id, { deviceKey: 'press-3' }, T0);
      expect(other.factoryId).toBe(b.id);

      expect(await store.devices.get(a.id, d.id)).toEqual(d);
      expect(await store.devices.getByKey(a.id, 'press-3')).toEqual(d);
      expect((await store.devices.getByKey(b.id, 'press-3'))?.id).toBe(other.id);
      expect(await store.devices.getByKey(a.id, 'nope')).toBeUndefined();
      expect((await store.devices.listAll(a.id)).map((x) => x.id).sort()).toEqual([d.id, upper.id].sort());
    });

    it('lists with pagination, literal case-insensitive search, an active filter and correct totals', async () => {
      const f = await newFactory('dev-list');
      const specs: Array<{ deviceKey: string; name?: string | null }> = [
        { deviceKey: 'press-01', name: 'Presse 1' },
        { deviceKey: 'PRESS_02', name: 'Presse 2' },
        { deviceKey: 'pressx02', name: 'Presse X' },
        { deviceKey: '50%-valve', name: 'Ventil' },
        { deviceKey: '500-valve', name: 'Ventil groß' },
        { deviceKey: 'back\\slash', name: null },
        { deviceKey: 'bang!key' },
        { deviceKey: 'comp-1', name: 'Anlage 3 – Halle SÜD' },
        { deviceKey: 'comp-2', name: '压缩机 2' },
      ];
      const created: Device[] = [];
      for (const spec of specs) created.push(await store.devices.create(f.id, spec, T0));
      // A device in another factory never shows up.
      const g = await newFactory('dev-list-other');
      await store.devices.create(g.id, { deviceKey: 'press-99', name: 'Presse 99' }, T0);

      const keys = async (search?: string, isActive?: boolean): Promise<{ keys: string[]; total: number }> => {
        const page = await store.devices.list(f.id, { page: 1, perPage: 100, search, isActive });
        expect(typeof page.total).toBe('number');
        return { keys: page.rows.map((r) => r.deviceKey).sort(), total: page.total };
      };

      expect((await keys()).total).toBe(specs.length);
      expect(await keys('press')).toEqual({ keys: ['PRESS_02', 'press-01', 'pressx02'], total: 3 });
      expect(await keys('PRESSE')).toEqual({ keys: ['PRESS_02', 'press-01', 'pressx02'], total: 3 });
      // `_` and `%` are literal characters, not wildcards.
      expect(await keys('_')).toEqual({ keys: ['PRESS_02'], total: 1 });
      expect(await keys('s_0')).toEqual({ keys: ['PRESS_02'], total: 1 });
      expect(await keys('%')).toEqual({ keys: ['50%-valve'], total: 1 });
      expect(await keys('50%')).toEqual({ keys: ['50%-valve'], total: 1 });
      expect(await keys('\\')).toEqual({ keys: ['back\\slash'], total: 1 });
      expect(await keys('!')).toEqual({ keys: ['bang!key'], total: 1 });
      expect(await keys("'")).toEqual({ keys: [], total: 0 });
      // Case-insensitive beyond ASCII, on both dialects.
      expect(await keys('halle süd')).toEqual({ keys: ['comp-1'], total: 1 });
      expect(await keys('GROSS')).toEqual({ keys: [], total: 0 });
      expect(await keys('GROß')).toEqual({ keys: ['500-valve'], total: 1 });
      expect(await keys('压缩机')).toEqual({ keys: ['comp-2'], total: 1 });

      // Pagination: ordered by device key, totals independent of the page.
      const all = await store.devices.list(f.id, { page: 1, perPage: 100 });
      const order = all.rows.map((r) => r.deviceKey);
      expect(order).toEqual([...order].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)));
      const seen: string[] = [];
      for (let page = 1; page <= 4; page += 1) {
        const p = await store.devices.list(f.id, { page, perPage: 3 });
        expect(p.total).toBe(specs.length);
        expect(p.rows.length).toBe(page <= 3 ? 3 : 0);
        seen.push(...p.rows.map((r) => r.deviceKey));
      }
      expect(seen).toEqual(order);
      const searched = await store.devices.list(f.id, { page: 2, perPage: 2, search: 'press' });
      expect(searched.total).toBe(3);
      expect(searched.rows).toHaveLength(1);

      // Active filter.
      const valve = created.find((d) => d.deviceKey === '50%-valve')!;
      await store.devices.update(f.id, valve.id, { isActive: false }, T0 + 1);
      expect(await keys(undefined, false)).toEqual({ keys: ['50%-valve'], total: 1 });
      expect((await keys(undefined, true)).total).toBe(specs.length - 1);
      expect(await keys('valve', true)).toEqual({ keys: ['500-valve'], total: 1 });
      const inactive = await store.devices.list(f.id, { page: 1, perPage: 10, isActive: false });
      expect(inactive.rows[0]?.isActive).toBe(false);
    });

    it('updates a device and touches last-seen only forward', async () => {
      const f = await newFactory('dev-upd');
      const d = await store.devices.create(f.id, { deviceKey: 'k1' }, T0);
      const d2 = await store.devices.create(f.id, { deviceKey: 'k2' }, T0);
      const updated = await store.devices.update(
        f.id,
        d.id,
        { name: '压缩机', manufacturer: 'Siemens', model: 'S7-1500', region: 'Halle Süd', isActive: false },
        T0 + 1,
      );
      expect(updated).toEqual({
        ...d,
        name: '压缩机',
        manufacturer: 'Siemens',
        model: 'S7-1500',
        region: 'Halle Süd',
        isActive: false,
        updatedAt: T0 + 1,
      });
      // Same values again (MySQL reports 0 changed rows then): still found.
      expect(await store.devices.update(f.id, d.id, { isActive: false }, T0 + 1)).toEqual(updated);
      expect(await store.devices.update(f.id, d.id, { name: null }, T0 + 2)).toMatchObject({ name: null, updatedAt: T0 + 2 });
      expect(await store.devices.update(f.id, 999_999, { name: 'x' }, T0)).toBeUndefined();

      await store.devices.touchLastSeen(f.id, [
        { deviceId: d.id, at: T0 + 1000 },
        { deviceId: d2.id, at: T0 + 500 },
      ]);
      expect((await store.devices.get(f.id, d.id))?.lastSeen).toBe(T0 + 1000);
      await store.devices.touchLastSeen(f.id, [
        { deviceId: d.id, at: T0 + 400 },
        { deviceId: d2.id, at: T0 + 600 },
      ]);
      const after = await store.devices.get(f.id, d.id);
      expect(after?.lastSeen).toBe(T0 + 1000);
      expectMs(after?.lastSeen);
      expect((await store.devices.get(f.id, d2.id))?.lastSeen).toBe(T0 + 600);
      await store.devices.touchLastSeen(f.id, []);
      // The same device twice in one batch: the later time wins whatever the order.
      await store.devices.touchLastSeen(f.id, [
        { deviceId: d2.id, at: T0 + 900 },
        { deviceId: d2.id, at: T0 + 700 },
      ]);
      expect((await store.devices.get(f.id, d2.id))?.lastSeen).toBe(T0 + 900);
    });

    it('takes concurrent last-seen batches in any order without deadlocking', async () => {
      const f = await newFactory('dev-touch-race');
      const ids: number[] = [];
      for (let i = 0; i < 20; i += 1) ids.push((await store.devices.create(f.id, { deviceKey: `d${i}` }, T0)).id);
      for (let round = 0; round < 5; round += 1) {
        await Promise.all(
          Array.from({ length: 6 }, (_, b) => {
            const order = b % 2 === 0 ? ids : [...ids].reverse();
            return store.devices.touchLastSeen(
              f.id,
              order.map((deviceId) => ({ deviceId, at: T0 + round * 10 + b })),
            );
          }),
        );
      }
      for (const d of await store.devices.listAll(f.id)) expect(d.lastSeen).toBe(T0 + 4 * 10 + 5);
    });
  });

  describe('parameters', () => {
    it('discovers idempotently and never overwrites what a person set', async () => {
      const f = await newFactory('params');
      const d = await store.devices.create(f.id, { deviceKey: 'plc' }, T0);
      await store.parameters.discover(
        f.id,
        d.id,
        [
          { key: 'temp', dataType: 'float' },
          { key: 'rpm', dataType: 'int' },
          { key: 'rpm', dataType: 'int' },
        ],
        T0,
      );
      const first = await store.parameters.listForDevice(f.id, d.id);
      expect(first.map((p) => p.parameterKey)).toEqual(['rpm', 'temp']);
      const temp = first.find((p) => p.parameterKey === 'temp')!;
      expect(temp).toEqual({
        id: expect.any(Number),
        factoryId: f.id,
        deviceId: d.id,
        parameterKey: 'temp',
        displayName: null,
        unit: null,
        dataType: 'float',
        isKpiSelected: true,
        discoveredAt: T0,
        updatedAt: T0,
      });

      const named = await store.parameters.update(
        f.id,
        d.id,
        temp.id,
        { displayName: 'Öltemperatur 压缩机', unit: '°C', isKpiSelected: false },
        T0 + 1,
      );
      expect(named).toEqual({ ...temp, displayName: 'Öltemperatur 压缩机', unit: '°C', isKpiSelected: false, updatedAt: T0 + 1 });

      await store.parameters.discover(
        f.id,
        d.id,
        [
          { key: 'temp', dataType: 'string' },
          { key: 'pressure', dataType: 'float' },
        ],
        T0 + 2,
      );
      const second = await store.parameters.listForDevice(f.id, d.id);
      expect(second.map((p) => p.parameterKey)).toEqual(['pressure', 'rpm', 'temp']);
      expect(second.find((p) => p.parameterKey === 'temp')).toEqual(named);
      expect(second.find((p) => p.parameterKey === 'pressure')).toMatchObject({ discoveredAt: T0 + 2, isKpiSelected: true });
      expect(await store.parameters.get(f.id, d.id, temp.id)).toEqual(named);
      expect((await store.parameters.listForFactory(f.id)).length).toBe(3);
      await store.parameters.discover(f.id, d.id, [], T0);
      expect(await store.parameters.update(f.id, d.id, 999_999, { unit: 'x' }, T0)).toBeUndefined();
    });

    it('survives concurrent discovery of overlapping keys in any order', async () => {
      const f = await newFactory('params-race');
      const keys = Array.from({ length: 40 }, (_, i) => `m${String(i).padStart(2, '0')}`);
      // Overlapping batches in opposite orders: the classic recipe for a unique-index deadlock.
      const batches = Array.from({ length: 10 }, (_, b) => {
        const some = keys.filter((_, i) => (i + b) % 3 !== 0);
        return (b % 2 === 0 ? some : some.reverse()).map((key) => ({ key, dataType: 'float' as const }));
      });
      for (let round = 0; round < 6; round += 1) {
        const d = await store.devices.create(f.id, { deviceKey: `plc-${round}` }, T0);
        await Promise.all(batches.map((batch, i) => store.parameters.discover(f.id, d.id, batch, T0 + i)));
        const listed = await store.parameters.listForDevice(f.id, d.id);
        expect(listed.map((p) => p.parameterKey)).toEqual(keys);
      }
    });

    it('keeps the same parameter key apart on different devices', async () => {
      const f = await newFactory('params2');
      const d1 = await store.devices.create(f.id, { deviceKey: 'a' }, T0);
      const d2 = await store.devices.create(f.id, { deviceKey: 'b' }, T0);
      await store.parameters.discover(f.id, d1.id, [{ key: 'temp', dataType: 'float' }], T0);
      await store.parameters.discover(f.id, d2.id, [{ key: 'temp', dataType: 'float' }], T0);
      expect(await store.parameters.listForDevice(f.id, d1.id)).toHaveLength(1);
      expect(await store.parameters.listForDevice(f.id, d2.id)).toHaveLength(1);
      const p1 = (await store.parameters.listForDevice(f.id, d1.id))[0]!;
      // A parameter is addressed through its own device only.
      expect(await store.parameters.get(f.id, d2.id, p1.id)).toBeUndefined();
      expect(await store.parameters.update(f.id, d2.id, p1.id, { unit: 'x' }, T0)).toBeUndefined();
    });
  });

  describe('device credentials', () => {
    it('adds, verifies, finds the owner and revokes', async () => {
      const f = await newFactory('creds');
      const d = await store.devices.create(f.id, { deviceKey: 'gw' }, T0);
      const d2 = await store.devices.create(f.id, { deviceKey: 'gw2' }, T0);
      const k1 = hex(11, 'd');
      const k2 = hex(12, 'd');
      expect(await store.deviceCredentials.activePrefix(f.id, d.id)).toBeNull();
      await store.deviceCredentials.add(f.id, d.id, k1, 'fo_k1', T0);
      await store.deviceCredentials.add(f.id, d.id, k2, 'fo_k2', T0 + 1);
      expect(await store.deviceCredentials.verify(f.id, d.id, k1)).toBe(true);
      expect(await store.deviceCredentials.verify(f.id, d.id, k2)).toBe(true);
      expect(await store.deviceCredentials.verify(f.id, d2.id, k1)).toBe(false);
      expect(await store.deviceCredentials.verify(f.id, d.id, hex(13, 'd'))).toBe(false);
      expect(await store.deviceCredentials.activePrefix(f.id, d.id)).toBe('fo_k2');
      expect(await store.deviceCredentials.findOwner(k1)).toEqual({ factoryId: f.id, deviceId: d.id });
      expect(await store.deviceCredentials.findOwner(hex(13, 'd'))).toBeUndefined();

      await store.deviceCredentials.revokeAll(f.id, d.id, T0 + 2);
      expect(await store.deviceCredentials.verify(f.id, d.id, k1)).toBe(false);
      expect(await store.deviceCredentials.verify(f.id, d.id, k2)).toBe(false);
      expect(await store.deviceCredentials.findOwner(k1)).toBeUndefined();
      expect(await store.deviceCredentials.activePrefix(f.id, d.id)).toBeNull();

      const k3 = hex(14, 'd');
      await store.deviceCredentials.add(f.id, d.id, k3, 'fo_k3', T0 + 3);
      expect(await store.deviceCredentials.verify(f.id, d.id, k3)).toBe(true);
      expect(await store.deviceCredentials.activePrefix(f.id, d.id)).toBe('fo_k3');
    });
  });

  describe('refresh tokens', () => {
    it('inserts, finds, marks used exactly once and revokes by family and by user', async () => {
      const f = await newFactory('tokens');
      const u = await store.users.create(f.id, { email: 'rt@example.com', role: 'viewer', permissions: NO_PERMISSIONS }, T0);
      const u2 = await store.users.create(f.id, { email: 'rt2@example.com', role: 'viewer', permissions: NO_PERMISSIONS }, T0);
      const base = { userId: u.id, expiresAt: T0 + 3_600_000, userAgent: 'Mozilla/5.0 ' + 'x'.repeat(400), ip: '::1' };
      await store.refreshTokens.insert(f.id, { ...base, tokenHash: hex(1, 'e'), familyId: 'fam-1' }, T0);
      await store.refreshTokens.insert(f.id, { ...base, tokenHash: hex(2, 'e'), familyId: 'fam-1' }, T0);
      await store.refreshTokens.insert(f.id, { ...base, tokenHash: hex(3, 'e'), familyId: 'fam-2' }, T0);
      await store.refreshTokens.insert(f.id, { ...base, userId: u2.id, tokenHash: hex(4, 'e'), familyId: 'fam-3' }, T0);

      const t1 = await store.refreshTokens.find(f.id, hex(1, 'e'));
      expect(t1).toEqual({
        id: expect.any(Number),
        factoryId: f.id,
        userId: u.id,
        familyId: 'fam-1',
        expiresAt: T0 + 3_600_000,
        usedAt: null,
        revokedAt: null,
      });
      expectMs(t1?.expiresAt);
      expect(await store.refreshTokens.find(f.id, hex(9, 'e'))).toBeUndefined();

      const raced = await Promise.all([
        store.refreshTokens.markUsed(f.id, t1!.id, T0 + 1),
        store.refreshTokens.markUsed(f.id, t1!.id, T0 + 2),
      ]);
      expect(raced.filter((r) => r)).toHaveLength(1);
      expect(await store.refreshTokens.markUsed(f.id, t1!.id, T0 + 3)).toBe(false);
      const used = await store.refreshTokens.find(f.id, hex(1, 'e'));
      expect([T0 + 1, T0 + 2]).toContain(used?.usedAt);
      expectMs(used?.usedAt);

      await store.refreshTokens.revokeFamily(f.id, 'fam-1', T0 + 10);
      const t2 = await store.refreshTokens.find(f.id, hex(2, 'e'));
      expect(t2?.revokedAt).toBe(T0 + 10);
      expect(await store.refreshTokens.markUsed(f.id, t2!.id, T0 + 11)).toBe(false);
      expect((await store.refreshTokens.find(f.id, hex(3, 'e')))?.revokedAt).toBeNull();

      await store.refreshTokens.revokeAllForUser(f.id, u.id, T0 + 20);
      expect((await store.refreshTokens.find(f.id, hex(3, 'e')))?.revokedAt).toBe(T0 + 20);
      // Already revoked tokens keep their first revocation time.
      expect((await store.refreshTokens.find(f.id, hex(2, 'e')))?.revokedAt).toBe(T0 + 10);
      expect((await store.refreshTokens.find(f.id, hex(4, 'e')))?.revokedAt).toBeNull();

      expect(await store.refreshTokens.deleteExpired(f.id, T0)).toBe(0);
      expect(await store.refreshTokens.deleteExpired(f.id, T0 + 3_600_001)).toBe(4);
      expect(await store.refreshTokens.find(f.id, hex(4, 'e'))).toBeUndefined();
    });
  });

  describe('audit log', () => {
    it('records and lists newest first with details round-tripping as JSON', async () => {
      const f = await newFactory('audit');
      const details = { before: { name: 'Presse 3 – Halle Süd' }, after: { name: '压缩机 🏭' }, n: 3, ok: true, list: [1, null] };
      await store.audit.record(f.id, { userId: null, actor: 'cli', action: 'factory.create', targetType: 'factory', targetId: f.id }, T0);
      await store.audit.record(
        f.id,
        { userId: 7, actor: 'jürgen@example.com', action: 'device.update', targetType: 'device', targetId: 'k1', details, ip: '10.0.0.1', requestId: 'req-1' },
        T0 + 1,
      );
      await store.audit.record(f.id, { userId: null, actor: 'system', action: 'token.cleanup', targetType: 'token', details: null }, T0 + 2);

      const page = await store.audit.list(f.id, 1, 2);
      expect(page.total).toBe(3);
      expect(typeof page.total).toBe('number');
      expect(page.rows.map((r) => r.action)).toEqual(['token.cleanup', 'device.update']);
      expect(page.rows[1]).toEqual({
        id: expect.any(Number),
        factoryId: f.id,
        userId: 7,
        actor: 'jürgen@example.com',
        action: 'device.update',
        targetType: 'device',
        targetId: 'k1',
        details,
        ip: '10.0.0.1',
        requestId: 'req-1',
        createdAt: T0 + 1,
      });
      expectMs(page.rows[1]?.createdAt);
      expect(page.rows[0]?.details).toBeNull();

      const last = await store.audit.list(f.id, 2, 2);
      expect(last.total).toBe(3);
      expect(last.rows).toHaveLength(1);
      expect(last.rows[0]).toMatchObject({ action: 'factory.create', targetId: String(f.id), userId: null, details: null, ip: null });
    });
  });

  describe('transactions', () => {
    it('commits the work and returns its value', async () => {
      seq += 1;
      const slug = `tx-ok-${seq}`;
      const result = await store.transaction(async (repos) => {
        const f = await repos.factories.create({ slug, name: 'TX' }, T0);
        const d = await repos.devices.create(f.id, { deviceKey: 'tx-dev' }, T0);
        await repos.devices.touchLastSeen(f.id, [{ deviceId: d.id, at: T0 + 5 }]);
        await repos.parameters.discover(f.id, d.id, [{ key: 'p', dataType: 'float' }], T0);
        // Reads inside see the transaction's own writes (list runs two queries at once).
        expect((await repos.devices.list(f.id, { page: 1, perPage: 10, search: 'tx' })).total).toBe(1);
        expect((await repos.devices.get(f.id, d.id))?.lastSeen).toBe(T0 + 5);
        return { factoryId: f.id, deviceId: d.id };
      });
      expect((await store.factories.getBySlug(slug))?.id).toBe(result.factoryId);
      expect((await store.devices.get(result.factoryId, result.deviceId))?.lastSeen).toBe(T0 + 5);
      expect(await store.parameters.listForDevice(result.factoryId, result.deviceId)).toHaveLength(1);
    });

    it('rolls everything back when the work throws', async () => {
      const existing = await newFactory('tx-existing');
      const existingDevice = await store.devices.create(existing.id, { deviceKey: 'keep' }, T0);
      seq += 1;
      const slug = `tx-fail-${seq}`;
      await expect(
        store.transaction(async (repos) => {
          const f = await repos.factories.create({ slug, name: 'TX' }, T0);
          await repos.users.create(f.id, { email: 'tx@example.com', role: 'admin', permissions: ALL_PERMISSIONS }, T0);
          await repos.devices.create(existing.id, { deviceKey: 'tx-dev' }, T0);
          await repos.devices.update(existing.id, existingDevice.id, { name: 'changed' }, T0 + 1);
          await repos.devices.touchLastSeen(existing.id, [{ deviceId: existingDevice.id, at: T0 + 9 }]);
          await repos.audit.record(existing.id, { userId: null, actor: 'system', action: 'x', targetType: 'y' }, T0);
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');

      expect(await store.factories.getBySlug(slug)).toBeUndefined();
      expect(await store.devices.getByKey(existing.id, 'tx-dev')).toBeUndefined();
      expect(await store.devices.get(existing.id, existingDevice.id)).toEqual(existingDevice);
      expect((await store.audit.list(existing.id, 1, 10)).total).toBe(0);
    });

    it('rolls back when a statement inside fails (duplicate key)', async () => {
      const f = await newFactory('tx-dup');
      await store.devices.create(f.id, { deviceKey: 'taken' }, T0);
      await expect(
        store.transaction(async (repos) => {
          await repos.devices.create(f.id, { deviceKey: 'fresh' }, T0);
          await repos.devices.create(f.id, { deviceKey: 'taken' }, T0);
        }),
      ).rejects.toBeInstanceOf(DuplicateKeyError);
      expect(await store.devices.getByKey(f.id, 'fresh')).toBeUndefined();
    });
  });

  describe('unicode', () => {
    it('round-trips names in any script on every column kind', async () => {
      seq += 1;
      const f = await store.factories.create({ slug: `uni-${seq}`, name: 'Presse 3 – Halle Süd' }, T0);
      expect((await store.factories.get(f.id))?.name).toBe('Presse 3 – Halle Süd');
      const names = ['压缩机', 'Presse 3 – Halle Süd', 'Kompressör 🏭 №5', 'مضخة', 'ポンプ'];
      for (const [i, name] of names.entries()) {
        const d = await store.devices.create(f.id, { deviceKey: `${name}-${i}`, name, manufacturer: name }, T0);
        expect(await store.devices.get(f.id, d.id)).toMatchObject({ deviceKey: `${name}-${i}`, name, manufacturer: name });
        expect((await store.devices.getByKey(f.id, `${name}-${i}`))?.id).toBe(d.id);
      }
      const d = (await store.devices.getByKey(f.id, '压缩机-0'))!;
      await store.parameters.discover(f.id, d.id, [{ key: '温度', dataType: 'float' }], T0);
      expect((await store.parameters.listForDevice(f.id, d.id))[0]?.parameterKey).toBe('温度');
    });

    it('holds the longest values the columns promise, counted in characters', async () => {
      const f = await newFactory('widths');
      const key = 'k'.repeat(100);
      const name = '压'.repeat(254) + '🏭'; // 255 characters, 256 UTF-16 units, 766 UTF-8 bytes
      const d = await store.devices.create(f.id, { deviceKey: key, name }, T0);
      expect(await store.devices.get(f.id, d.id)).toMatchObject({ deviceKey: key, name });
      const paramKey = '温'.repeat(100);
      await store.parameters.discover(f.id, d.id, [{ key: paramKey, dataType: 'float' }], T0);
      await store.parameters.discover(f.id, d.id, [{ key: paramKey, dataType: 'float' }], T0);
      expect((await store.parameters.listForDevice(f.id, d.id)).map((p) => p.parameterKey)).toEqual([paramKey]);
    });
  });

  describe('factory isolation', () => {
    interface World {
      a: Factory;
      b: Factory;
      user: User;
      inviteHash: string;
      device: Device;
      paramId: number;
      keyHash: string;
      tokenHash: string;
      tokenId: number;
    }
    let w: World;

    /** Everything factory A owns, as its own methods see it. */
    async function snapshotA(): Promise<unknown> {
      const { a } = w;
      return {
        users: await store.users.list(a.id),
        user: await store.users.findByEmail(a.id, w.user.email),
        devices: await store.devices.listAll(a.id),
        params: await store.parameters.listForFactory(a.id),
        verify: await store.deviceCredentials.verify(a.id, w.device.id, w.keyHash),
        prefix: await store.deviceCredentials.activePrefix(a.id, w.device.id),
        owner: await store.deviceCredentials.findOwner(w.keyHash),
        token: await store.refreshTokens.find(a.id, w.tokenHash),
        audit: await store.audit.list(a.id, 1, 50),
      };
    }

    async function snapshotB(): Promise<unknown> {
      const { b } = w;
      return {
        users: await store.users.list(b.id),
        devices: await store.devices.list(b.id, { page: 1, perPage: 50 }),
        params: await store.parameters.listForFactory(b.id),
        audit: await store.audit.list(b.id, 1, 50),
      };
    }

    beforeAll(async () => {
      const a = await newFactory('iso-a');
      const b = await newFactory('iso-b');
      const inviteHash = hex(21, 'f');
      const user = await store.users.create(
        a.id,
        { email: 'iso@example.com', role: 'admin', permissions: ALL_PERMISSIONS, inviteTokenHash: inviteHash, inviteExpiresAt: T0 + 1e6 },
        T0,
      );
      const device = await store.devices.create(a.id, { deviceKey: 'iso-dev', name: 'Iso' }, T0);
      await store.parameters.discover(a.id, device.id, [{ key: 'temp', dataType: 'float' }], T0);
      const paramId = (await store.parameters.listForDevice(a.id, device.id))[0]!.id;
      const keyHash = hex(22, 'f');
      await store.deviceCredentials.add(a.id, device.id, keyHash, 'fo_iso', T0);
      const tokenHash = hex(23, 'f');
      await store.refreshTokens.insert(
        a.id,
        { userId: user.id, tokenHash, familyId: 'iso-fam', expiresAt: T0 + 1e6, userAgent: null, ip: null },
        T0,
      );
      const tokenId = (await store.refreshTokens.find(a.id, tokenHash))!.id;
      await store.audit.record(a.id, { userId: user.id, actor: 'iso', action: 'a', targetType: 't' }, T0);
      w = { a, b, user, inviteHash, device, paramId, keyHash, tokenHash, tokenId };
    });

    it('every read with another factory id finds nothing', async () => {
      const { b, user, device, paramId } = w;
      const reads: Array<[string, () => Promise<unknown>, unknown]> = [
        ['users.list', () => store.users.list(b.id), []],
        ['users.get', () => store.users.get(b.id, user.id), undefined],
        ['users.findByEmail', () => store.users.findByEmail(b.id, user.email), undefined],
        ['users.findByInviteTokenHash', () => store.users.findByInviteTokenHash(b.id, w.inviteHash), undefined],
        ['devices.list', () => store.devices.list(b.id, { page: 1, perPage: 50 }), { rows: [], total: 0 }],
        ['devices.list search', () => store.devices.list(b.id, { page: 1, perPage: 50, search: 'iso' }), { rows: [], total: 0 }],
        ['devices.listAll', () => store.devices.listAll(b.id), []],
        ['devices.get', () => store.devices.get(b.id, device.id), undefined],
        ['devices.getByKey', () => store.devices.getByKey(b.id, device.deviceKey), undefined],
        ['parameters.listForDevice', () => store.parameters.listForDevice(b.id, device.id), []],
        ['parameters.listForFactory', () => store.parameters.listForFactory(b.id), []],
        ['parameters.get', () => store.parameters.get(b.id, device.id, paramId), undefined],
        ['deviceCredentials.verify', () => store.deviceCredentials.verify(b.id, device.id, w.keyHash), false],
        ['deviceCredentials.activePrefix', () => store.deviceCredentials.activePrefix(b.id, device.id), null],
        ['refreshTokens.find', () => store.refreshTokens.find(b.id, w.tokenHash), undefined],
        ['audit.list', () => store.audit.list(b.id, 1, 50), { rows: [], total: 0 }],
      ];
      for (const [label, read, expected] of reads) {
        expect(await read(), label).toEqual(expected);
      }
    });

    it('every write with another factory id changes nothing', async () => {
      const { b, user, device, paramId } = w;
      const beforeA = await snapshotA();
      const beforeB = await snapshotB();
      const later = T0 + 999;
      const writes: Array<[string, () => Promise<unknown>, unknown]> = [
        ['users.update', () => store.users.update(b.id, user.id, { role: 'viewer', isActive: false, permissions: NO_PERMISSIONS }, later), undefined],
        ['users.recordLogin', () => store.users.recordLogin(b.id, user.id, later), undefined],
        ['users.acceptInvite', () => store.users.acceptInvite(b.id, user.id, w.inviteHash, '$argon2id$evil', later), false],
        ['devices.update', () => store.devices.update(b.id, device.id, { name: 'evil', isActive: false }, later), undefined],
        ['devices.touchLastSeen', () => store.devices.touchLastSeen(b.id, [{ deviceId: device.id, at: later }]), undefined],
        ['parameters.update', () => store.parameters.update(b.id, device.id, paramId, { displayName: 'evil' }, later), undefined],
        ['deviceCredentials.revokeAll', () => store.deviceCredentials.revokeAll(b.id, device.id, later), undefined],
        ['refreshTokens.markUsed', () => store.refreshTokens.markUsed(b.id, w.tokenId, later), false],
        ['refreshTokens.revokeFamily', () => store.refreshTokens.revokeFamily(b.id, 'iso-fam', later), undefined],
        ['refreshTokens.revokeAllForUser', () => store.refreshTokens.revokeAllForUser(b.id, user.id, later), undefined],
        ['refreshTokens.deleteExpired', () => store.refreshTokens.deleteExpired(b.id, T0 + 1e9), 0],
      ];
      for (const [label, write, expected] of writes) {
        expect(await write(), label).toEqual(expected);
      }
      // Writes that would attach A's device or user to B are refused outright.
      const refused: Array<[string, () => Promise<unknown>, 'device' | 'user']> = [
        ['parameters.discover', () => store.parameters.discover(b.id, device.id, [{ key: 'evil', dataType: 'float' }, { key: 'next', dataType: 'int' }], later), 'device'],
        ['deviceCredentials.add', () => store.deviceCredentials.add(b.id, device.id, hex(24, 'f'), 'fo_evil', later), 'device'],
        [
          'refreshTokens.insert',
          () => store.refreshTokens.insert(b.id, { userId: user.id, tokenHash: hex(25, 'f'), familyId: 'evil', expiresAt: later, userAgent: null, ip: null }, later),
          'user',
        ],
      ];
      for (const [label, write, what] of refused) {
        const error = await write().then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error, label).toBeInstanceOf(NotInFactoryError);
        expect(error, label).toMatchObject({ what, factoryId: b.id });
      }
      expect(await store.deviceCredentials.findOwner(hex(24, 'f'))).toBeUndefined();
      expect(await store.refreshTokens.find(b.id, hex(25, 'f'))).toBeUndefined();

      expect(await snapshotA()).toEqual(beforeA);
      expect(await snapshotB()).toEqual(beforeB);

      // B's attempt to discover 'next' on A's device must not block A discovering it.
      await store.parameters.discover(w.a.id, device.id, [{ key: 'next', dataType: 'int' }], later);
      expect((await store.parameters.listForDevice(w.a.id, device.id)).map((p) => p.parameterKey)).toEqual(['next', 'temp']);
    });
  });
});
