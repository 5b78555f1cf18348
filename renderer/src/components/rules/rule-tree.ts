/**
 * The rule builder's condition tree, free of React: edit operations that return a new tree,
 * conversion to and from the server's JSON (engine/rules/conditions.ts is the grammar), and
 * the mapping of the server's issue paths (`conditions.conditions[1].value[0]`) back onto the
 * node and field the person typed into.
 *
 * Inputs are held as the text typed (`value: "24"`), not as numbers: a half-typed "-" or "1e"
 * must survive a re-render, and the server — not this module — decides what is valid, so what
 * it says appears at the field. Only the conversion to JSON turns text into numbers.
 *
 * Imports carry `.js` so unit tests (NodeNext) and the renderer (Bundler) both resolve them.
 */
import type { GroupOperator, LeafOperator, ThresholdOperator } from '../../../../engine/rules/index.js';

export type { GroupOperator, LeafOperator, ThresholdOperator };

export const GROUP_OPERATORS: readonly GroupOperator[] = ['AND', 'OR'];
export const THRESHOLD_OPS: readonly ThresholdOperator[] = ['gt', 'gte', 'lt', 'lte'];
/** Every leaf operator the engine knows, in the order the picker lists them. */
export const LEAF_OPS: readonly LeafOperator[] = ['gt', 'gte', 'lt', 'lte', 'eq', 'neq', 'between', 'outside', 'rate_of_change', 'no_data'];

export const OPERATOR_LABEL: Record<LeafOperator, string> = {
  gt: '>',
  gte: '≥',
  lt: '<',
  lte: '≤',
  eq: '=',
  neq: '≠',
  between: 'between',
  outside: 'outside',
  rate_of_change: 'rate of change',
  no_data: 'no data for',
};

/** How an eq/neq value is sent: devices report numbers, strings and booleans. */
export type ValueKind = 'number' | 'text' | 'boolean';

export interface BuilderLeaf {
  kind: 'leaf';
  id: string;
  parameter: string;
  operator: LeafOperator;
  /** The comparison value; the low bound for between/outside. */
  value: string;
  /** The high bound for between/outside. */
  high: string;
  valueKind: ValueKind;
  /** Per-leaf hysteresis ('' = the rule's deadband). */
  deadband: string;
  /** rate_of_change: the window, s, the comparison and whether |rate| is compared. */
  windowSeconds: string;
  compare: ThresholdOperator;
  absolute: boolean;
  /** no_data: silence, s. */
  seconds: string;
}

export interface BuilderGroup {
  kind: 'group';
  id: string;
  operator: GroupOperator;
  children: BuilderNode[];
}

export type BuilderNode = BuilderLeaf | BuilderGroup;

let nextId = 0;
/** Ids only need to be unique within a page's life; they never reach the server. */
function newId(prefix: string): string {
  nextId += 1;
  return `${prefix}${nextId}`;
}

export function newLeaf(fields: Partial<Omit<BuilderLeaf, 'kind' | 'id'>> = {}): BuilderLeaf {
  return {
    kind: 'leaf',
    id: newId('c'),
    parameter: '',
    operator: 'gt',
    value: '',
    high: '',
    valueKind: 'number',
    deadband: '',
    windowSeconds: '60',
    compare: 'gt',
    absolute: false,
    seconds: '300',
    ...fields,
  };
}

export function newGroup(operator: GroupOperator = 'AND', children: BuilderNode[] = []): BuilderGroup {
  return { kind: 'group', id: newId('g'), operator, children };
}

/** A new rule starts with one empty comparison inside an AND group. */
export function newTree(): BuilderGroup {
  return newGroup('AND', [newLeaf()]);
}

// ---------------------------------------------------------------------------------------------
// Reading the tree

export function findNode(root: BuilderNode, id: string): BuilderNode | undefined {
  if (root.id === id) return root;
  if (root.kind === 'leaf') return undefined;
  for (const child of root.children) {
    const hit = findNode(child, id);
    if (hit) return hit;
  }
  return undefined;
}

export function leaves(root: BuilderNode): BuilderLeaf[] {
  return root.kind === 'leaf' ? [root] : root.children.flatMap(leaves);
}

/** Group nesting depth (the root group is 1), as the engine counts it against its limit. */
export function groupDepth(root: BuilderNode): number {
  return root.kind === 'leaf' ? 0 : 1 + Math.max(0, ...root.children.map(groupDepth));
}

/** The parameters the tree names, once each, in order of appearance. */
export function parametersUsed(root: BuilderNode): string[] {
  return [...new Set(leaves(root).map((l) => l.parameter).filter((p) => p !== ''))];
}

// ---------------------------------------------------------------------------------------------
// Edits: each returns a new tree (unchanged branches are shared), or the same tree if `id` is unknown.

function mapNode(root: BuilderNode, id: string, change: (node: BuilderNode) => BuilderNode | null): BuilderNode | null {
  if (root.id === id) return change(root);
  if (root.kind === 'leaf') return root;
  let changed = false;
  const children: BuilderNode[] = [];
  for (const child of root.children) {
    const next = mapNode(child, id, change);
    if (next !== child) changed = true;
    if (next !== null) children.push(next);
  }
  return changed ? { ...root, children } : root;
}

/** Applies `change` to the node `id`; the root itself can be replaced but not removed. */
function edit(root: BuilderGroup, id: string, change: (node: BuilderNode) => BuilderNode | null): BuilderGroup {
  const next = mapNode(root, id, change);
  if (next === null) return root;
  // The root stays a group: a leaf at the root is wrapped (the engine accepts both).
  return next.kind === 'group' ? next : { ...root, children: [next] };
}

export function updateLeaf(root: BuilderGroup, id: string, patch: Partial<Omit<BuilderLeaf, 'kind' | 'id'>>): BuilderGroup {
  return edit(root, id, (node) => (node.kind === 'leaf' ? { ...node, ...patch } : node));
}

/**
 * Changes a leaf's operator, keeping what still makes sense: the parameter always, the value
 * between thresholds and equality, both bounds between `between` and `outside`.
 */
export function setLeafOperator(root: BuilderGroup, id: string, operator: LeafOperator): BuilderGroup {
  return edit(root, id, (node) => {
    if (node.kind !== 'leaf' || node.operator === operator) return node;
    const patch: Partial<BuilderLeaf> = { operator };
    const ranged = (op: LeafOperator) => op === 'between' || op === 'outside';
    if (ranged(node.operator) !== ranged(operator)) patch.high = '';
    if (operator === 'eq' || operator === 'neq') {
      // Thresholds compare numbers only: a text/boolean kind is kept only among eq/neq.
    } else if (node.valueKind !== 'number') {
      patch.valueKind = 'number';
      patch.value = '';
    }
    return { ...node, ...patch };
  });
}

export function setGroupOperator(root: BuilderGroup, id: string, operator: GroupOperator): BuilderGroup {
  return edit(root, id, (node) => (node.kind === 'group' ? { ...node, operator } : node));
}

export function addChild(root: BuilderGroup, groupId: string, child: BuilderNode): BuilderGroup {
  return edit(root, groupId, (node) => (node.kind === 'group' ? { ...node, children: [...node.children, child] } : node));
}

/** Removes a node (the root cannot be removed; an emptied group stays, and the server says so). */
export function removeNode(root: BuilderGroup, id: string): BuilderGroup {
  if (root.id === id) return root;
  return edit(root, id, () => null);
}

/** Puts a node inside a new group of its own (to add an OR beside one comparison of an AND). */
export function wrapInGroup(root: BuilderGroup, id: string, operator: GroupOperator): BuilderGroup {
  if (root.id === id) return newGroup(operator, [root]);
  return edit(root, id, (node) => newGroup(operator, [node]));
}

/** Replaces a group by its children in its parent (the root group cannot be dissolved). */
export function ungroup(root: BuilderGroup, id: string): BuilderGroup {
  if (root.id === id) return root;
  const lift = (node: BuilderNode): BuilderNode => {
    if (node.kind === 'leaf') return node;
    const children = node.children.flatMap((c) => (c.id === id && c.kind === 'group' ? c.children : [lift(c)]));
    return { ...node, children };
  };
  return lift(root) as BuilderGroup;
}

/** Moves a node one place up (-1) or down (+1) among its siblings. */
export function moveNode(root: BuilderGroup, id: string, direction: -1 | 1): BuilderGroup {
  const visit = (node: BuilderNode): BuilderNode => {
    if (node.kind === 'leaf') return node;
    const i = node.children.findIndex((c) => c.id === id);
    if (i >= 0) {
      const j = i + direction;
      if (j < 0 || j >= node.children.length) return node;
      const children = [...node.children];
      [children[i], children[j]] = [children[j] as BuilderNode, children[i] as BuilderNode];
      return { ...node, children };
    }
    const children = node.children.map(visit);
    return children.some((c, k) => c !== node.children[k]) ? { ...node, children } : node;
  };
  return visit(root) as BuilderGroup;
}

// ---------------------------------------------------------------------------------------------
// To the server

/**
 * Text → number for the JSON: '' is left out (the server answers "is required"), a number is
 * sent as one, anything else is sent as typed so the server's message names it.
 */
export function numberOrText(text: string): number | string | undefined {
  const t = text.trim();
  if (t === '') return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : t;
}

function put(target: Record<string, unknown>, key: string, value: unknown): void {
  if (value !== undefined) target[key] = value;
}

function eqValue(leaf: BuilderLeaf): unknown {
  if (leaf.valueKind === 'boolean') return leaf.value === 'true' ? true : leaf.value === 'false' ? false : undefined;
  if (leaf.valueKind === 'text') return leaf.value === '' ? undefined : leaf.value;
  return numberOrText(leaf.value);
}

export function leafToJson(leaf: BuilderLeaf): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  put(out, 'parameter', leaf.parameter.trim() === '' ? undefined : leaf.parameter.trim());
  out.operator = leaf.operator;
  switch (leaf.operator) {
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      put(out, 'value', numberOrText(leaf.value));
      put(out, 'deadband', numberOrText(leaf.deadband));
      break;
    case 'eq':
    case 'neq':
      put(out, 'value', eqValue(leaf));
      break;
    case 'between':
    case 'outside':
      // A missing bound is sent as null: the server then points at value[0] or value[1].
      out.value = [numberOrText(leaf.value) ?? null, numberOrText(leaf.high) ?? null];
      put(out, 'deadband', numberOrText(leaf.deadband));
      break;
    case 'rate_of_change':
      put(out, 'window_seconds', numberOrText(leaf.windowSeconds));
      out.compare = leaf.compare;
      put(out, 'value', numberOrText(leaf.value));
      if (leaf.absolute) out.absolute = true;
      put(out, 'deadband', numberOrText(leaf.deadband));
      break;
    case 'no_data':
      put(out, 'seconds', numberOrText(leaf.seconds));
      break;
  }
  return out;
}

export interface TreeJson {
  /** The `conditions` field of a rule request. */
  conditions: Record<string, unknown>;
  /** Server path of every node (`conditions`, `conditions.conditions[0]`, …) → node id. */
  paths: Map<string, string>;
}

export function treeToJson(root: BuilderGroup, base = 'conditions'): TreeJson {
  const paths = new Map<string, string>();
  const visit = (node: BuilderNode, path: string): Record<string, unknown> => {
    paths.set(path, node.id);
    if (node.kind === 'leaf') return leafToJson(node);
    return { operator: node.operator, conditions: node.children.map((c, i) => visit(c, `${path}.conditions[${i}]`)) };
  };
  return { conditions: visit(root, base), paths };
}

// ---------------------------------------------------------------------------------------------
// From the server

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown): string {
  return value === undefined || value === null ? '' : String(value);
}

function leafFromJson(input: Record<string, unknown>): BuilderLeaf {
  const operator = input.operator as LeafOperator;
  const fields: Partial<BuilderLeaf> = { parameter: text(input.parameter), operator, deadband: text(input.deadband) };
  switch (operator) {
    case 'eq':
    case 'neq': {
      const v = input.value;
      fields.valueKind = typeof v === 'boolean' ? 'boolean' : typeof v === 'string' ? 'text' : 'number';
      fields.value = text(v);
      break;
    }
    case 'between':
    case 'outside': {
      const [lo, hi] = Array.isArray(input.value) ? (input.value as unknown[]) : [];
      fields.value = text(lo);
      fields.high = text(hi);
      break;
    }
    case 'rate_of_change':
      fields.value = text(input.value);
      fields.windowSeconds = text(input.window_seconds);
      fields.compare = THRESHOLD_OPS.includes(input.compare as ThresholdOperator) ? (input.compare as ThresholdOperator) : 'gt';
      fields.absolute = input.absolute === true;
      break;
    case 'no_data':
      fields.seconds = text(input.seconds);
      break;
    default:
      fields.value = text(input.value);
  }
  return newLeaf(fields);
}

/**
 * Reads a stored condition tree. A bare leaf at the root comes back wrapped in an AND group
 * (they evaluate the same). Returns null for JSON the builder cannot show (a rule written by
 * hand with an unknown shape) so the page can say so instead of silently dropping parts.
 */
export function treeFromJson(input: unknown): BuilderGroup | null {
  const visit = (node: unknown): BuilderNode | null => {
    if (!isRecord(node)) return null;
    const op = node.operator;
    if (op === 'AND' || op === 'OR') {
      if (!Array.isArray(node.conditions)) return null;
      const children: BuilderNode[] = [];
      for (const c of node.conditions) {
        const child = visit(c);
        if (!child) return null;
        children.push(child);
      }
      return newGroup(op, children);
    }
    if (typeof op === 'string' && (LEAF_OPS as readonly string[]).includes(op)) return leafFromJson(node);
    return null;
  };
  const root = visit(input);
  if (!root) return null;
  return root.kind === 'group' ? root : newGroup('AND', [root]);
}

// ---------------------------------------------------------------------------------------------
// Server issues → the field they belong to

export interface Issue {
  path: string;
  message: string;
}

export interface LocatedIssue {
  nodeId: string;
  /** The field inside the node: `value`, `value[1]`, `parameter`, `conditions` (a group's list), '' (the node). */
  field: string;
  message: string;
}

/**
 * Finds the node an issue path points into: the longest node path that is a prefix of it at a
 * segment boundary. `conditions.conditions[1].value[0]` → node `conditions.conditions[1]`,
 * field `value[0]`. Returns null for paths outside the tree.
 */
export function locateIssue(issue: Issue, paths: ReadonlyMap<string, string>): LocatedIssue | null {
  let best: string | null = null;
  for (const path of paths.keys()) {
    if (!issue.path.startsWith(path)) continue;
    const rest = issue.path.slice(path.length);
    if (rest !== '' && !rest.startsWith('.') && !rest.startsWith('[')) continue;
    if (best === null || path.length > best.length) best = path;
  }
  if (best === null) return null;
  const field = issue.path.slice(best.length).replace(/^\./, '');
  return { nodeId: paths.get(best) as string, field, message: issue.message };
}

/** Messages per node and field: `byNode.get(id)?.value`. */
export type NodeIssues = Map<string, Record<string, string>>;

export function issuesByNode(issues: readonly Issue[], paths: ReadonlyMap<string, string>): { byNode: NodeIssues; rest: Issue[] } {
  const byNode: NodeIssues = new Map();
  const rest: Issue[] = [];
  for (const issue of issues) {
    const hit = locateIssue(issue, paths);
    if (!hit) {
      rest.push(issue);
      continue;
    }
    const fields = byNode.get(hit.nodeId) ?? {};
    fields[hit.field] = fields[hit.field] ? `${fields[hit.field]}; ${hit.message}` : hit.message;
    byNode.set(hit.nodeId, fields);
  }
  return { byNode, rest };
}

/** One line for the list: `voltage > 240 AND (current > 5 OR temp no data for 300 s)`. */
export function describeTree(node: BuilderNode, top = true): string {
  if (node.kind === 'group') {
    const inner = node.children.map((c) => describeTree(c, false)).join(` ${node.operator} `);
    return top || node.children.length <= 1 ? inner : `(${inner})`;
  }
  const p = node.parameter || '?';
  switch (node.operator) {
    case 'between':
    case 'outside':
      return `${p} ${node.operator} ${node.value || '?'}…${node.high || '?'}`;
    case 'rate_of_change':
      return `${node.absolute ? '|Δ' : 'Δ'}${p}/min${node.absolute ? '|' : ''} ${OPERATOR_LABEL[node.compare]} ${node.value || '?'} over ${node.windowSeconds || '?'} s`;
    case 'no_data':
      return `${p} no data for ${node.seconds || '?'} s`;
    case 'eq':
    case 'neq':
      return `${p} ${OPERATOR_LABEL[node.operator]} ${node.valueKind === 'text' ? `"${node.value}"` : node.value || '?'}`;
    default:
      return `${p} ${OPERATOR_LABEL[node.operator]} ${node.value || '?'}`;
  }
}
