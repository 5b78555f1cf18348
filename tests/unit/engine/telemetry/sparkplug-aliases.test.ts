import { describe, expect, it } from 'vitest';
import { AliasTable, SparkplugAliasRegistry } from '../../../../engine/telemetry/index.js';

const node = { group: 'g', edgeNode: 'e1' };
const device = { group: 'g', edgeNode: 'e1', device: 'd1' };

describe('AliasTable.fromBirth', () => {
  it('resolves declared aliases and names to name and datatype', () => {
    const { table, report } = AliasTable.fromBirth([
      { name: 'Temp', alias: 1, type: 'Double', value: 20 },
      { name: 'Speed', alias: { low: 2, high: 0, unsigned: true }, type: 'Int64', value: 0 },
      { name: 'Mode', type: 'String', value: 'auto' },
    ]);
    expect(report).toEqual({ defined: 3, aliases: 2, problems: [] });
    expect(table.byAlias(1)).toEqual({ name: 'Temp', type: 'Double' });
    expect(table.byAlias(2n)).toEqual({ name: 'Speed', type: 'Int64' });
    expect(table.byName('Mode')).toEqual({ name: 'Mode', type: 'String' });
    expect(table.byAlias(3)).toBeUndefined();
  });

  it('withdraws an alias declared for two metrics instead of guessing', () => {
    const { table, report } = AliasTable.fromBirth([
      { name: 'A', alias: 7, type: 'Double' },
      { name: 'B', alias: 7, type: 'Double' },
      { name: 'C', alias: 7, type: 'Double' },
    ]);
    expect(table.byAlias(7)).toBeUndefined();
    expect(report.problems.map((p) => p.code)).toEqual(['DUPLICATE_ALIAS', 'DUPLICATE_ALIAS']);
    expect(table.byName('A')).toBeDefined();
  });

  it('reports BIRTH metrics without a name and with an invalid alias', () => {
    const { report } = AliasTable.fromBirth([
      { alias: 3, type: 'Double' },
      { name: 'X', alias: -1, type: 'Double' },
    ]);
    expect(report.problems.map((p) => p.code)).toEqual(['NO_NAME', 'INVALID_ALIAS']);
  });
});

describe('SparkplugAliasRegistry', () => {
  it('keeps node and device tables apart', () => {
    const registry = new SparkplugAliasRegistry();
    registry.recordBirth(node, [{ name: 'Node Temp', alias: 1, type: 'Float' }]);
    registry.recordBirth(device, [{ name: 'Press Force', alias: 2, type: 'Double' }]);
    expect(registry.catalog(node)?.byAlias(1)?.name).toBe('Node Temp');
    expect(registry.catalog(node)?.byAlias(2)).toBeUndefined();
    expect(registry.catalog(device)?.byAlias(2)?.name).toBe('Press Force');
    expect(registry.catalog({ ...device, device: 'other' })).toBeUndefined();
    expect(registry.catalog({ group: 'g', edgeNode: 'e2' })).toBeUndefined();
  });

  it('drops device tables when the node rebirths, and a DBIRTH replaces its own table', () => {
    const registry = new SparkplugAliasRegistry();
    registry.recordBirth(node, [{ name: 'A', alias: 1, type: 'Float' }]);
    registry.recordBirth(device, [{ name: 'B', alias: 2, type: 'Float' }]);
    registry.recordBirth(device, [{ name: 'B2', alias: 3, type: 'Float' }]);
    expect(registry.catalog(device)?.byAlias(2)).toBeUndefined();
    expect(registry.catalog(device)?.byAlias(3)?.name).toBe('B2');
    registry.recordBirth(node, [{ name: 'A', alias: 1, type: 'Float' }]);
    expect(registry.catalog(device)).toBeUndefined();
  });

  it('forgets a device on DDEATH and everything of a node on NDEATH', () => {
    const registry = new SparkplugAliasRegistry();
    registry.recordBirth(node, [{ name: 'A', alias: 1, type: 'Float' }]);
    registry.recordBirth(device, [{ name: 'B', alias: 2, type: 'Float' }]);
    registry.forget(device);
    expect(registry.catalog(device)).toBeUndefined();
    expect(registry.catalog(node)).toBeDefined();
    registry.forget(node);
    expect(registry.catalog(node)).toBeUndefined();
    expect(registry.nodeCount).toBe(0);
  });

  it('does not confuse nodes whose group and edge node ids concatenate alike', () => {
    const registry = new SparkplugAliasRegistry();
    registry.recordBirth({ group: 'a b', edgeNode: 'c' }, [{ name: 'X', alias: 1 }]);
    expect(registry.catalog({ group: 'a', edgeNode: 'b c' })).toBeUndefined();
  });
});
