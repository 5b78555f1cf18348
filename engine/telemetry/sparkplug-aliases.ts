// Sparkplug metric aliases. A BIRTH declares each metric's name, datatype and (optionally) a
// numeric alias [tck-id-payloads-alias-birth-requirement]; DATA messages may then carry only
// the alias [tck-id-payloads-alias-data-cmd-requirement] and usually omit the datatype
// [tck-id-payloads-metric-datatype-not-req]. So a host must remember, per edge node and per
// device, what the last BIRTH declared. An alias the BIRTH did not declare is reported, never
// guessed: guessing would file readings under the wrong parameter.
//
// The tables live as long as a Sparkplug session: an NBIRTH replaces the node's table and
// drops its devices' tables (they rebirth after it [tck-id-payloads-dbirth-order]); a DBIRTH
// replaces its device's table; NDEATH/DDEATH forget them.

import { quoteForMessage } from './echo.js';
import { aliasKey } from './sparkplug.js';
import type { SparkplugMetric } from './sparkplug.js';

/** What a BIRTH said about one metric. */
export interface MetricDefinition {
  name: string;
  /** Datatype name from the BIRTH ('Double', 'Int64', …); undefined if the BIRTH omitted it. */
  type: string | undefined;
}

/** Read side of an alias table, what mapSparkplugMetrics needs. */
export interface MetricCatalog {
  byAlias(alias: unknown): MetricDefinition | undefined;
  byName(name: string): MetricDefinition | undefined;
}

export type BirthProblemCode = 'NO_NAME' | 'INVALID_ALIAS' | 'DUPLICATE_ALIAS';

export interface BirthProblem {
  /** The metric's name (escaped and capped for logs), or `alias N` when it has none. */
  name: string;
  code: BirthProblemCode;
  reason: string;
}

export interface AliasBirthReport {
  /** Metrics the BIRTH defined by name. */
  defined: number;
  /** Aliases now resolvable. */
  aliases: number;
  /** Declarations that were refused; their aliases resolve to nothing. */
  problems: BirthProblem[];
}

/** The declarations of one BIRTH (one edge node, or one device). */
export class AliasTable implements MetricCatalog {
  readonly #byAlias = new Map<number | string, MetricDefinition>();
  readonly #byName = new Map<string, MetricDefinition>();

  /** Builds a table from a BIRTH's metrics; `report` receives what was refused. */
  static fromBirth(metrics: readonly SparkplugMetric[] | null | undefined): { table: AliasTable; report: AliasBirthReport } {
    const table = new AliasTable();
    const problems: BirthProblem[] = [];
    // Aliases declared twice are withdrawn, not first- or last-wins: each alias MUST be unique
    // across the edge node's metrics [tck-id-payloads-alias-uniqueness], and DATA using a
    // contested alias cannot be attributed safely.
    const contested = new Set<number | string>();
    let defined = 0;
    const list = metrics ?? [];
    for (let i = 0; i < list.length; i++) {
      const metric = list[i] as SparkplugMetric;
      const name = metric.name;
      const hasAlias = metric.alias !== undefined && metric.alias !== null;
      if (typeof name !== 'string' || name.length === 0) {
        // BIRTH metrics MUST carry a name [tck-id-topics-nbirth-metrics] [tck-id-topics-dbirth-metrics].
        problems.push({
          name: hasAlias ? `alias ${String(aliasKey(metric.alias))}` : `metric #${i}`,
          code: 'NO_NAME',
          reason: 'BIRTH metric has no name',
        });
        continue;
      }
      const definition: MetricDefinition = { name, type: typeof metric.type === 'string' ? metric.type : undefined };
      table.#byName.set(name, definition);
      defined++;
      if (!hasAlias) continue;
      const key = aliasKey(metric.alias);
      if (key === null) {
        problems.push({ name: quoteForMessage(name), code: 'INVALID_ALIAS', reason: 'alias is not an unsigned integer' });
        continue;
      }
      const previous = table.#byAlias.get(key);
      if (contested.has(key) || (previous !== undefined && previous.name !== name)) {
        table.#byAlias.delete(key);
        contested.add(key);
        problems.push({
          name: quoteForMessage(name),
          code: 'DUPLICATE_ALIAS',
          reason: `alias ${String(key)} is declared for more than one metric; none of them is used`,
        });
        continue;
      }
      table.#byAlias.set(key, definition);
    }
    return { table, report: { defined, aliases: table.#byAlias.size, problems } };
  }

  byAlias(alias: unknown): MetricDefinition | undefined {
    const key = aliasKey(alias);
    return key === null ? undefined : this.#byAlias.get(key);
  }

  byName(name: string): MetricDefinition | undefined {
    return this.#byName.get(name);
  }

  get size(): number {
    return this.#byName.size;
  }
}

/** Which table: an edge node's own metrics (no device) or one of its devices'. */
export interface SparkplugScope {
  group: string;
  edgeNode: string;
  device?: string | undefined;
}

interface NodeTables {
  node: AliasTable | undefined;
  devices: Map<string, AliasTable>;
}

/**
 * All alias tables of all edge nodes this host has seen BIRTHs from. In-memory state with no
 * I/O; one instance per ingest pipeline. Pass a parsed SparkplugTopic as the scope.
 */
export class SparkplugAliasRegistry {
  readonly #nodes = new Map<string, NodeTables>();

  /**
   * Records an NBIRTH (scope without device: replaces the node's table and drops its devices')
   * or a DBIRTH (scope with device: replaces that device's table).
   */
  recordBirth(scope: SparkplugScope, metrics: readonly SparkplugMetric[] | null | undefined): AliasBirthReport {
    const { table, report } = AliasTable.fromBirth(metrics);
    const id = nodeId(scope);
    if (scope.device === undefined) {
      this.#nodes.set(id, { node: table, devices: new Map() });
    } else {
      let tables = this.#nodes.get(id);
      if (tables === undefined) {
        tables = { node: undefined, devices: new Map() };
        this.#nodes.set(id, tables);
      }
      tables.devices.set(scope.device, table);
    }
    return report;
  }

  /** The table for a scope, or undefined if no BIRTH is known for it. */
  catalog(scope: SparkplugScope): MetricCatalog | undefined {
    const tables = this.#nodes.get(nodeId(scope));
    if (tables === undefined) return undefined;
    return scope.device === undefined ? tables.node : tables.devices.get(scope.device);
  }

  /** Forgets a node and all its devices (NDEATH), or one device (DDEATH). */
  forget(scope: SparkplugScope): void {
    const id = nodeId(scope);
    if (scope.device === undefined) {
      this.#nodes.delete(id);
      return;
    }
    this.#nodes.get(id)?.devices.delete(scope.device);
  }

  /** Number of edge nodes with any table (for metrics/gauges). */
  get nodeCount(): number {
    return this.#nodes.size;
  }
}

// Sparkplug ids cannot contain `/` [tck-id-topic-structure-namespace-valid-group-id], so this
// key is unambiguous.
function nodeId(scope: SparkplugScope): string {
  return `${scope.group}/${scope.edgeNode}`;
}
