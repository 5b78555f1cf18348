/**
 * The condition tree editor: nested AND/OR groups of comparisons. Every edit goes through the
 * pure operations of rule-tree.ts and hands a new tree up; the server's messages for a node
 * appear under it, at the input they name.
 */
import { Button, HTMLSelect, InputGroup, Switch } from '@blueprintjs/core';
import { memo, useState, type ReactNode } from 'react';
import {
  addChild,
  GROUP_OPERATORS,
  LEAF_OPS,
  moveNode,
  newGroup,
  newLeaf,
  OPERATOR_LABEL,
  removeNode,
  setGroupOperator,
  setLeafOperator,
  THRESHOLD_OPS,
  ungroup,
  updateLeaf,
  wrapInGroup,
  type BuilderGroup,
  type BuilderLeaf,
  type BuilderNode,
  type GroupOperator,
  type LeafOperator,
  type NodeIssues,
  type ThresholdOperator,
  type ValueKind,
} from './rule-tree';
import type { ParameterOption } from './use-rule-parameters';
import './rule-builder.css';
import { labelTestId } from './label-test-id';

/** The engine's nesting limit (DEFAULT_CONDITION_LIMITS.maxDepth): no "add group" beyond it. */
const MAX_DEPTH = 5;
const OTHER = '__other__';

interface Ctx {
  root: BuilderGroup;
  onChange(root: BuilderGroup): void;
  parameters: readonly ParameterOption[];
  issues: NodeIssues;
  readOnly: boolean;
}

export interface ConditionBuilderProps {
  value: BuilderGroup;
  onChange(root: BuilderGroup): void;
  parameters: readonly ParameterOption[];
  issues: NodeIssues;
  readOnly?: boolean;
}

export const ConditionBuilder = memo(function ConditionBuilder({ value, onChange, parameters, issues, readOnly = false }: ConditionBuilderProps) {
  const ctx: Ctx = { root: value, onChange, parameters, issues, readOnly };
  return (
    <div className="fo-cb" data-testid="rule-conditions">
      <GroupEditor node={value} ctx={ctx} depth={1} path="conditions" />
    </div>
  );
});

function Problem({ text, testId }: { text: string | undefined; testId?: string }) {
  if (!text) return null;
  return (
    <div className="fo-field-error" data-testid={testId ?? 'rule-condition-error'}>
      {text}
    </div>
  );
}

function GroupEditor({ node, ctx, depth, path }: { node: BuilderGroup; ctx: Ctx; depth: number; path: string }) {
  const isRoot = node.id === ctx.root.id;
  const problems = ctx.issues.get(node.id);
  const change = (next: BuilderGroup) => ctx.onChange(next);
  return (
    <div className={`fo-cb-group fo-cb-${node.operator.toLowerCase()}`} data-testid="rule-group" data-path={path}>
      <div className="fo-cb-group-head">
        <HTMLSelect
          value={node.operator}
          disabled={ctx.readOnly}
          onChange={(e) => change(setGroupOperator(ctx.root, node.id, e.currentTarget.value as GroupOperator))}
          data-testid="rule-group-operator"
          aria-label="Group operator"
        >
          {GROUP_OPERATORS.map((op) => (
            <option key={op} value={op}>
              {op === 'AND' ? 'ALL of (AND)' : 'ANY of (OR)'}
            </option>
          ))}
        </HTMLSelect>
        {!ctx.readOnly && (
          <>
            <Button size="small" icon="add" text="Condition" onClick={() => change(addChild(ctx.root, node.id, newLeaf()))} data-testid="rule-add-condition" />
            <Button
              size="small"
              icon="add-to-folder"
              text="Group"
              disabled={depth >= MAX_DEPTH}
              title={depth >= MAX_DEPTH ? `Groups nest at most ${MAX_DEPTH} levels` : 'Add a nested group'}
              onClick={() => change(addChild(ctx.root, node.id, newGroup(node.operator === 'AND' ? 'OR' : 'AND', [newLeaf()])))}
              data-testid="rule-add-group"
            />
            <span className="fo-spacer" />
            {!isRoot && <NodeButtons node={node} ctx={ctx} extra={<Button size="small" variant="minimal" icon="ungroup-objects" title="Dissolve this group into its parent" onClick={() => change(ungroup(ctx.root, node.id))} />} />}
          </>
        )}
      </div>
      <Problem text={problems?.['']} />
      <Problem text={problems?.conditions} />
      <Problem text={problems?.operator} />
      <div className="fo-cb-children">
        {node.children.map((child, i) =>
          child.kind === 'group' ? (
            <GroupEditor key={child.id} node={child} ctx={ctx} depth={depth + 1} path={`${path}.conditions[${i}]`} />
          ) : (
            <LeafEditor key={child.id} leaf={child} ctx={ctx} depth={depth} path={`${path}.conditions[${i}]`} />
          ),
        )}
        {node.children.length === 0 && <div className="fo-muted fo-cb-empty">No conditions in this group.</div>}
      </div>
    </div>
  );
}

function NodeButtons({ node, ctx, extra }: { node: BuilderNode; ctx: Ctx; extra?: ReactNode }) {
  const change = (next: BuilderGroup) => ctx.onChange(next);
  return (
    <span className="fo-cb-node-buttons">
      <Button size="small" variant="minimal" icon="arrow-up" title="Move up" onClick={() => change(moveNode(ctx.root, node.id, -1))} />
      <Button size="small" variant="minimal" icon="arrow-down" title="Move down" onClick={() => change(moveNode(ctx.root, node.id, 1))} />
      {extra}
      <Button size="small" variant="minimal" icon="trash" intent="danger" title="Remove" onClick={() => change(removeNode(ctx.root, node.id))} data-testid="rule-remove-node" />
    </span>
  );
}

function ParameterPicker({ leaf, ctx }: { leaf: BuilderLeaf; ctx: Ctx }) {
  const known = ctx.parameters.some((p) => p.key === leaf.parameter);
  const [typing, setTyping] = useState(false);
  // A parameter typed by hand (not reported yet by the scoped devices) keeps its own input.
  const custom = typing || (leaf.parameter !== '' && !known);
  const pick = (key: string) => {
    setTyping(key === OTHER);
    if (key === OTHER) return;
    const option = ctx.parameters.find((p) => p.key === key);
    const patch: Partial<BuilderLeaf> = { parameter: key };
    // Equality follows what the devices report: text and booleans compare as such.
    if (option && (leaf.operator === 'eq' || leaf.operator === 'neq')) patch.valueKind = kindOf(option.dataType);
    ctx.onChange(updateLeaf(ctx.root, leaf.id, patch));
  };
  return (
    <>
      <HTMLSelect
        value={custom ? OTHER : leaf.parameter}
        disabled={ctx.readOnly}
        onChange={(e) => pick(e.currentTarget.value)}
        data-testid="rule-parameter"
        aria-label="Parameter"
        className="fo-cb-param"
      >
        <option value="">Parameter…</option>
        {ctx.parameters.map((p) => (
          <option key={p.key} value={p.key} title={p.coverage}>
            {p.label}
            {p.unit ? ` (${p.unit})` : ''}
            {p.partial ? ' *' : ''}
          </option>
        ))}
        <option value={OTHER}>Other (type a key)…</option>
      </HTMLSelect>
      {custom && (
        <InputGroup
          size="small"
          value={leaf.parameter}
          placeholder="parameter_key"
          readOnly={ctx.readOnly}
          autoFocus={typing && leaf.parameter === ''}
          onValueChange={(v) => ctx.onChange(updateLeaf(ctx.root, leaf.id, { parameter: v }))}
          data-testid="rule-parameter-custom"
          className="fo-cb-input"
        />
      )}
    </>
  );
}

function kindOf(dataType: string): ValueKind {
  if (dataType === 'string') return 'text';
  if (dataType === 'bool') return 'boolean';
  return 'number';
}

function TextField({ value, onChange, placeholder, testId, problem, width = 80, readOnly }: { value: string; onChange(v: string): void; placeholder: string; testId: string; problem?: string | undefined; width?: number; readOnly: boolean }) {
  return (
    <InputGroup
      size="small"
      value={value}
      placeholder={placeholder}
      readOnly={readOnly}
      onValueChange={onChange}
      intent={problem ? 'danger' : 'none'}
      title={problem}
      data-testid={testId}
      style={{ width }}
      className="fo-cb-input"
    />
  );
}

function LeafEditor({ leaf, ctx, depth, path }: { leaf: BuilderLeaf; ctx: Ctx; depth: number; path: string }) {
  const problems = ctx.issues.get(leaf.id) ?? {};
  const set = (patch: Partial<BuilderLeaf>) => ctx.onChange(updateLeaf(ctx.root, leaf.id, patch));
  const unit = ctx.parameters.find((p) => p.key === leaf.parameter)?.unit ?? '';
  const ro = ctx.readOnly;
  const hasDeadband = leaf.operator !== 'eq' && leaf.operator !== 'neq' && leaf.operator !== 'no_data';

  let operands: ReactNode;
  switch (leaf.operator) {
    case 'between':
    case 'outside':
      operands = (
        <>
          <TextField value={leaf.value} onChange={(v) => set({ value: v })} placeholder="low" testId="rule-value" problem={problems['value[0]'] ?? problems.value} readOnly={ro} />
          <span className="fo-dim">…</span>
          <TextField value={leaf.high} onChange={(v) => set({ high: v })} placeholder="high" testId="rule-value-high" problem={problems['value[1]']} readOnly={ro} />
          {unit && <span className="fo-dim">{unit}</span>}
        </>
      );
      break;
    case 'rate_of_change':
      operands = (
        <>
          <Switch checked={leaf.absolute} disabled={ro} label="|rate|" onChange={(e) => set({ absolute: e.currentTarget.checked })} className="fo-cb-switch" inputRef={labelTestId('rule-absolute')} />
          <HTMLSelect value={leaf.compare} disabled={ro} onChange={(e) => set({ compare: e.currentTarget.value as ThresholdOperator })} data-testid="rule-compare" aria-label="Compare">
            {THRESHOLD_OPS.map((op) => (
              <option key={op} value={op}>
                {OPERATOR_LABEL[op]}
              </option>
            ))}
          </HTMLSelect>
          <TextField value={leaf.value} onChange={(v) => set({ value: v })} placeholder="per min" testId="rule-value" problem={problems.value} readOnly={ro} />
          <span className="fo-dim">{unit ? `${unit}/min` : '/min'} over</span>
          <TextField value={leaf.windowSeconds} onChange={(v) => set({ windowSeconds: v })} placeholder="60" testId="rule-window" problem={problems.window_seconds} width={60} readOnly={ro} />
          <span className="fo-dim">s</span>
        </>
      );
      break;
    case 'no_data':
      operands = (
        <>
          <TextField value={leaf.seconds} onChange={(v) => set({ seconds: v })} placeholder="300" testId="rule-seconds" problem={problems.seconds} width={70} readOnly={ro} />
          <span className="fo-dim">s</span>
        </>
      );
      break;
    case 'eq':
    case 'neq':
      operands = (
        <>
          <HTMLSelect value={leaf.valueKind} disabled={ro} onChange={(e) => set({ valueKind: e.currentTarget.value as ValueKind, value: '' })} data-testid="rule-value-kind" aria-label="Value type">
            <option value="number">number</option>
            <option value="text">text</option>
            <option value="boolean">true/false</option>
          </HTMLSelect>
          {leaf.valueKind === 'boolean' ? (
            <HTMLSelect value={leaf.value} disabled={ro} onChange={(e) => set({ value: e.currentTarget.value })} data-testid="rule-value" aria-label="Value">
              <option value="">…</option>
              <option value="true">true</option>
              <option value="false">false</option>
            </HTMLSelect>
          ) : (
            <TextField value={leaf.value} onChange={(v) => set({ value: v })} placeholder={leaf.valueKind === 'text' ? 'text' : 'value'} testId="rule-value" problem={problems.value} width={leaf.valueKind === 'text' ? 140 : 80} readOnly={ro} />
          )}
        </>
      );
      break;
    default:
      operands = (
        <>
          <TextField value={leaf.value} onChange={(v) => set({ value: v })} placeholder="value" testId="rule-value" problem={problems.value} readOnly={ro} />
          {unit && <span className="fo-dim">{unit}</span>}
        </>
      );
  }

  const messages = Object.entries(problems).map(([field, message]) => (field === '' ? message : `${field}: ${message}`));
  return (
    <div className={`fo-cb-leaf${messages.length > 0 ? ' fo-cb-invalid' : ''}`} data-testid="rule-condition" data-path={path}>
      <div className="fo-cb-leaf-row">
        <ParameterPicker leaf={leaf} ctx={ctx} />
        <HTMLSelect
          value={leaf.operator}
          disabled={ro}
          onChange={(e) => ctx.onChange(setLeafOperator(ctx.root, leaf.id, e.currentTarget.value as LeafOperator))}
          data-testid="rule-operator"
          aria-label="Operator"
        >
          {LEAF_OPS.map((op) => (
            <option key={op} value={op}>
              {OPERATOR_LABEL[op]}
            </option>
          ))}
        </HTMLSelect>
        {operands}
        {hasDeadband && (
          <>
            <span className="fo-dim" title="Hysteresis for this comparison; empty = the rule's deadband">db</span>
            <TextField value={leaf.deadband} onChange={(v) => set({ deadband: v })} placeholder="rule" testId="rule-leaf-deadband" problem={problems.deadband} width={56} readOnly={ro} />
          </>
        )}
        <span className="fo-spacer" />
        {!ro && (
          <NodeButtons
            node={leaf}
            ctx={ctx}
            extra={
              depth < MAX_DEPTH ? (
                <Button
                  size="small"
                  variant="minimal"
                  icon="group-objects"
                  title="Put this condition in a group of its own (to combine it with others by the other operator)"
                  onClick={() => ctx.onChange(wrapInGroup(ctx.root, leaf.id, 'OR'))}
                />
              ) : undefined
            }
          />
        )}
      </div>
      {messages.length > 0 && <Problem text={messages.join(' · ')} />}
    </div>
  );
}
