/**
 * The rule builder's tree: edits, JSON both ways, and server issue paths mapped back onto the
 * node and field. The JSON is checked with the engine's own validator (the one the server
 * runs), so "the builder produces what the server accepts" is proven, not assumed.
 */
import { describe, expect, it } from 'vitest';
import { LEAF_OPERATORS, validateRuleDefinition } from '../../../engine/rules/index.js';
import {
  addChild,
  describeTree,
  findNode,
  groupDepth,
  issuesByNode,
  LEAF_OPS,
  leaves,
  locateIssue,
  moveNode,
  newGroup,
  newLeaf,
  newTree,
  parametersUsed,
  removeNode,
  setGroupOperator,
  setLeafOperator,
  treeFromJson,
  treeToJson,
  ungroup,
  updateLeaf,
  wrapInGroup,
  type BuilderGroup,
  type BuilderLeaf,
} from '../../../renderer/src/components/rules/rule-tree.js';

/** AND( voltage > 240, OR( current > 5, temp no_data 300 ) ) */
function sample(): { root: BuilderGroup; volt: BuilderLeaf; current: BuilderLeaf; temp: BuilderLeaf; inner: BuilderGroup } {
  const volt = newLeaf({ parameter: 'voltage', operator: 'gt', value: '240' });
  const current = newLeaf({ parameter: 'current', operator: 'gt', value: '5' });
  const temp = newLeaf({ parameter: 'temp', operator: 'no_data', seconds: '300' });
  const inner = newGroup('OR', [current, temp]);
  return { root: newGroup('AND', [volt, inner]), volt, current, temp, inner };
}

function engineCheck(root: BuilderGroup) {
  return validateRuleDefinition({ conditions: treeToJson(root).conditions });
}

describe('rule tree edits', () => {
  it('lists every operator the engine knows', () => {
    expect([...LEAF_OPS].sort()).toEqual([...LEAF_OPERATORS].sort());
  });

  it('adds, updates and removes nodes without touching the original tree', () => {
    const { root, volt, inner } = sample();
    const added = addChild(root, inner.id, newLeaf({ parameter: 'power' }));
    expect(leaves(added).map((l) => l.parameter)).toEqual(['voltage', 'current', 'temp', 'power']);
    expect(leaves(root)).toHaveLength(3);

    const updated = updateLeaf(added, volt.id, { value: '250' });
    expect((findNode(updated, volt.id) as BuilderLeaf).value).toBe('250');
    expect((findNode(added, volt.id) as BuilderLeaf).value).toBe('240');
    // The untouched branch is shared, not copied (React skips it).
    expect(findNode(updated, inner.id)).toBe(findNode(added, inner.id));

    const removed = removeNode(updated, inner.id);
    expect(leaves(removed).map((l) => l.parameter)).toEqual(['voltage']);
    expect(removeNode(removed, removed.id)).toBe(removed);
  });

  it('switches group operators, wraps a leaf in a group and dissolves it again', () => {
    const { root, volt, inner } = sample();
    const or = setGroupOperator(root, root.id, 'OR');
    expect(or.operator).toBe('OR');
    const wrapped = wrapInGroup(or, volt.id, 'AND');
    expect(groupDepth(wrapped)).toBe(2);
    const wrapper = wrapped.children[0] as BuilderGroup;
    expect(wrapper.kind).toBe('group');
    expect(wrapper.children[0]?.id).toBe(volt.id);
    const flat = ungroup(wrapped, wrapper.id);
    expect(flat.children.map((c) => c.id)).toEqual([volt.id, inner.id]);
    // Wrapping the root makes a new root above it; the root itself is never dissolved.
    const above = wrapInGroup(root, root.id, 'OR');
    expect(above.children[0]?.id).toBe(root.id);
    expect(ungroup(root, root.id)).toBe(root);
  });

  it('moves a node among its siblings and stops at the ends', () => {
    const { root, volt, inner } = sample();
    const down = moveNode(root, volt.id, 1);
    expect(down.children.map((c) => c.id)).toEqual([inner.id, volt.id]);
    expect(moveNode(down, volt.id, 1)).toBe(down);
    const { current, temp } = { current: inner.children[0] as BuilderLeaf, temp: inner.children[1] as BuilderLeaf };
    const innerUp = moveNode(root, temp.id, -1);
    expect((innerUp.children[1] as BuilderGroup).children.map((c) => c.id)).toEqual([temp.id, current.id]);
  });

  it('keeps what still makes sense when a leaf changes operator', () => {
    const leaf = newLeaf({ parameter: 'mode', operator: 'eq', valueKind: 'text', value: 'auto' });
    const root = newGroup('AND', [leaf]);
    const neq = findNode(setLeafOperator(root, leaf.id, 'neq'), leaf.id) as BuilderLeaf;
    expect(neq).toMatchObject({ parameter: 'mode', valueKind: 'text', value: 'auto' });
    // A threshold compares numbers: the text value is dropped rather than sent as a number.
    const gt = findNode(setLeafOperator(root, leaf.id, 'gt'), leaf.id) as BuilderLeaf;
    expect(gt).toMatchObject({ parameter: 'mode', valueKind: 'number', value: '' });
    const range = newLeaf({ parameter: 'v', operator: 'between', value: '200', high: '240' });
    const r2 = newGroup('AND', [range]);
    expect(findNode(setLeafOperator(r2, range.id, 'outside'), range.id)).toMatchObject({ value: '200', high: '240' });
    expect(findNode(setLeafOperator(r2, range.id, 'gt'), range.id)).toMatchObject({ value: '200', high: '' });
  });

  it('collects the parameters used, once each', () => {
    const { root, inner } = sample();
    const more = addChild(root, inner.id, newLeaf({ parameter: 'voltage', operator: 'lt', value: '200' }));
    expect(parametersUsed(more)).toEqual(['voltage', 'current', 'temp']);
  });
});

describe('rule tree JSON', () => {
  it('builds JSON the engine accepts for every leaf operator', () => {
    const root = newGroup('OR', [
      newLeaf({ parameter: 'voltage', operator: 'gt', value: '240', deadband: '2' }),
      newLeaf({ parameter: 'voltage', operator: 'gte', value: '240' }),
      newLeaf({ parameter: 'voltage', operator: 'lt', value: '-5.5' }),
      newLeaf({ parameter: 'voltage', operator: 'lte', value: '1e3' }),
      newLeaf({ parameter: 'mode', operator: 'eq', valueKind: 'text', value: 'auto' }),
      newLeaf({ parameter: 'running', operator: 'neq', valueKind: 'boolean', value: 'true' }),
      newLeaf({ parameter: 'code', operator: 'eq', valueKind: 'number', value: '3' }),
      newGroup('AND', [
        newLeaf({ parameter: 'voltage', operator: 'between', value: '200', high: '240' }),
        newLeaf({ parameter: 'voltage', operator: 'outside', value: '200', high: '240', deadband: '1' }),
        newLeaf({ parameter: 'temp', operator: 'rate_of_change', windowSeconds: '60', compare: 'gt', value: '5', absolute: true, deadband: '0.5' }),
        newLeaf({ parameter: 'temp', operator: 'no_data', seconds: '300' }),
      ]),
    ]);
    const { conditions } = treeToJson(root);
    const checked = validateRuleDefinition({ conditions });
    expect(checked.ok ? [] : checked.errors).toEqual([]);
    expect(conditions).toEqual({
      operator: 'OR',
      conditions: [
        { parameter: 'voltage', operator: 'gt', value: 240, deadband: 2 },
        { parameter: 'voltage', operator: 'gte', value: 240 },
        { parameter: 'voltage', operator: 'lt', value: -5.5 },
        { parameter: 'voltage', operator: 'lte', value: 1000 },
        { parameter: 'mode', operator: 'eq', value: 'auto' },
        { parameter: 'running', operator: 'neq', value: true },
        { parameter: 'code', operator: 'eq', value: 3 },
        {
          operator: 'AND',
          conditions: [
            { parameter: 'voltage', operator: 'between', value: [200, 240] },
            { parameter: 'voltage', operator: 'outside', value: [200, 240], deadband: 1 },
            { parameter: 'temp', operator: 'rate_of_change', window_seconds: 60, compare: 'gt', value: 5, absolute: true, deadband: 0.5 },
            { parameter: 'temp', operator: 'no_data', seconds: 300 },
          ],
        },
      ],
    });
  });

  it('reads stored JSON back into the same JSON (round trip)', () => {
    const stored = {
      operator: 'AND',
      conditions: [
        { parameter: 'voltage', operator: 'outside', value: [200, 240], deadband: 1 },
        { operator: 'OR', conditions: [{ parameter: 'running', operator: 'eq', value: false }, { parameter: 'mode', operator: 'neq', value: 'manual' }] },
        { parameter: 'temp', operator: 'rate_of_change', window_seconds: 120, compare: 'lt', value: -3 },
        { parameter: 'temp', operator: 'no_data', seconds: 60 },
      ],
    };
    const tree = treeFromJson(stored);
    expect(tree).not.toBeNull();
    expect(treeToJson(tree as BuilderGroup).conditions).toEqual(stored);
  });

  it('wraps a bare leaf in an AND group and refuses shapes it cannot show', () => {
    const tree = treeFromJson({ parameter: 'voltage', operator: 'gt', value: 240 });
    expect(tree && treeToJson(tree).conditions).toEqual({ operator: 'AND', conditions: [{ parameter: 'voltage', operator: 'gt', value: 240 }] });
    expect(treeFromJson({ type: 'and', conditions: [] })).toBeNull();
    expect(treeFromJson({ operator: 'AND', conditions: [{ operator: '>' }] })).toBeNull();
    expect(treeFromJson(null)).toBeNull();
  });

  it('sends what was typed wrong as typed, and leaves empty fields out, so the server names them', () => {
    const leaf = newLeaf({ parameter: '', operator: 'gt', value: 'abc' });
    const range = newLeaf({ parameter: 'v', operator: 'between', value: '', high: '5' });
    const { conditions } = treeToJson(newGroup('AND', [leaf, range]));
    expect(conditions).toEqual({ operator: 'AND', conditions: [{ operator: 'gt', value: 'abc' }, { parameter: 'v', operator: 'between', value: [null, 5] }] });
  });

  it('describes a tree in one line', () => {
    expect(describeTree(sample().root)).toBe('voltage > 240 AND (current > 5 OR temp no data for 300 s)');
  });
});

describe('server issues at their field', () => {
  it('maps the engine\'s issue paths for a wrong tree onto the node and field', () => {
    const bad = newLeaf({ parameter: 'voltage', operator: 'gt', value: 'high' });
    const badRange = newLeaf({ parameter: 'voltage', operator: 'between', value: '240', high: 'x' });
    const emptyGroup = newGroup('OR', []);
    const noParam = newLeaf({ operator: 'no_data', seconds: '0' });
    const root = newGroup('AND', [bad, newGroup('OR', [badRange, emptyGroup]), noParam]);
    const { paths } = treeToJson(root);
    const checked = engineCheck(root);
    expect(checked.ok).toBe(false);
    const issues = checked.ok ? [] : checked.errors;
    const { byNode, rest } = issuesByNode(issues, paths);
    expect(rest).toEqual([]);
    expect(byNode.get(bad.id)?.value).toMatch(/must be a number/);
    expect(byNode.get(badRange.id)?.['value[1]']).toMatch(/finite number/);
    expect(byNode.get(emptyGroup.id)?.conditions).toMatch(/at least one condition/);
    expect(byNode.get(noParam.id)?.parameter).toMatch(/required/);
    expect(byNode.get(noParam.id)?.seconds).toMatch(/whole number/);
  });

  it('picks the deepest node at a segment boundary, and nothing outside the tree', () => {
    const root = newTree();
    const paths = new Map([
      ['conditions', root.id],
      ['conditions.conditions[1]', 'a'],
      ['conditions.conditions[10]', 'b'],
    ]);
    expect(locateIssue({ path: 'conditions.conditions[10].value', message: 'm' }, paths)).toEqual({ nodeId: 'b', field: 'value', message: 'm' });
    expect(locateIssue({ path: 'conditions.conditions[1].value[0]', message: 'm' }, paths)).toEqual({ nodeId: 'a', field: 'value[0]', message: 'm' });
    expect(locateIssue({ path: 'conditions', message: 'm' }, paths)).toEqual({ nodeId: root.id, field: '', message: 'm' });
    expect(locateIssue({ path: 'conditionsX', message: 'm' }, paths)).toBeNull();
    expect(locateIssue({ path: 'name', message: 'm' }, paths)).toBeNull();
  });
});
