/**
 * Alarm limits of a parameter, read from the device's rules: every threshold of a gt/gte/
 * lt/lte leaf and both ends of a between/outside leaf on that parameter, from active rules.
 * Drawn on the trend as horizontal lines in the rule's severity colour.
 */
import { forEachLeaf } from '../../../../engine/rules/conditions.js';
import type { ConditionNode } from '../../../../engine/rules/conditions.js';
import type { Rule } from '../../api/types';

export interface AlarmLimit {
  parameter: string;
  value: number;
  /** e.g. "> 240", "outside 200–240 (low)". */
  label: string;
  severity: string;
  ruleName: string;
}

const SYMBOL: Record<string, string> = { gt: '>', gte: '≥', lt: '<', lte: '≤' };

function looksLikeTree(value: unknown): value is ConditionNode {
  return typeof value === 'object' && value !== null && typeof (value as { operator?: unknown }).operator === 'string';
}

export function limitsOf(rules: readonly Rule[], parameter: string): AlarmLimit[] {
  const out: AlarmLimit[] = [];
  for (const rule of rules) {
    if (!rule.is_active || rule.out_of_service || !looksLikeTree(rule.conditions)) continue;
    try {
      forEachLeaf(rule.conditions, (leaf) => {
        if (leaf.parameter !== parameter) return;
        const base = { parameter, severity: rule.severity, ruleName: rule.name };
        switch (leaf.operator) {
          case 'gt':
          case 'gte':
          case 'lt':
          case 'lte':
            out.push({ ...base, value: leaf.value, label: `${SYMBOL[leaf.operator]} ${leaf.value}` });
            break;
          case 'between':
          case 'outside': {
            const [lo, hi] = leaf.value;
            out.push({ ...base, value: lo, label: `${leaf.operator} ${lo}–${hi}` });
            if (hi !== lo) out.push({ ...base, value: hi, label: `${leaf.operator} ${lo}–${hi}` });
            break;
          }
          default:
            break;
        }
      });
    } catch {
      // a malformed stored tree (should not happen: the server validates) draws nothing
    }
  }
  return out;
}
