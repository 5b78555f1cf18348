// One evaluation step for one (rule, device), as a rule worker runs it: schedule, condition
// (with the deadband chosen by the memory), then the state machine.

import { transition } from './alarm-state.js';
import type { AlarmMemory, TransitionResult } from './alarm-state.js';
import type { CompiledRule, EvaluationContext } from './compile.js';
import { isScheduleActive } from './schedule.js';
import type { Schedule } from './schedule.js';

export interface AlarmStepInput {
  memory: AlarmMemory;
  rule: CompiledRule;
  /** The device's values at `ctx.now`. */
  ctx: EvaluationContext;
  /** Default: always. Outside its schedule a rule's condition counts as false (its alarm clears). */
  schedule?: Schedule;
  /** The factory's IANA zone; needed unless the schedule is `always`. */
  timeZone?: string;
}

export interface AlarmStepResult extends TransitionResult {
  inSchedule: boolean;
  /** The condition as evaluated (false outside the schedule or out of service). */
  conditionTrue: boolean;
  /**
   * When this step raised or reactivated an alarm: the leaves that made it true (for the
   * message and snapshot; `rule.explain(ctx)` / formatAlarmMessage give the text until the
   * rule's next evaluation). Otherwise an empty array.
   */
  trueLeaves: number[];
}

export function evaluateAlarm(input: AlarmStepInput): AlarmStepResult {
  const { memory, rule, ctx, schedule } = input;
  if (schedule !== undefined && schedule.type !== 'always' && input.timeZone === undefined) {
    // Guessing UTC would shift every window by the factory's offset without a word.
    throw new TypeError('evaluateAlarm: a time_window or date_range schedule needs the factory timeZone');
  }
  const inSchedule =
    schedule === undefined || schedule.type === 'always' || isScheduleActive(schedule, ctx.now, input.timeZone as string);
  if (memory.state === 'out_of_service') {
    return { memory, effects: [], refused: null, inSchedule, conditionTrue: false, trueLeaves: [] };
  }
  // The memory's last condition picks the thresholds: once true, the deadband holds it true.
  const conditionTrue = inSchedule && rule.evaluate(ctx, memory.condition);
  const result = transition(memory, { type: 'condition', value: conditionTrue, now: ctx.now }, rule.policy);
  const activated = result.memory.state === 'active_unacknowledged' && memory.state !== 'active_unacknowledged';
  return { ...result, inSchedule, conditionTrue, trueLeaves: activated ? rule.trueLeaves() : [] };
}
