// Public API of engine/rules: condition trees (validate, compile, evaluate), schedules, the
// ISA-18.2 alarm state machine and alarm-system health. Import from here, not from the files.

export * from './calendar.js';

export {
  checkParameters,
  DEFAULT_CONDITION_LIMITS,
  forEachLeaf,
  formatIssue,
  isConditionGroup,
  LEAF_OPERATORS,
  MAX_NO_DATA_SECONDS,
  MAX_RATE_WINDOW_SECONDS,
  MAX_STRING_VALUE_LENGTH,
  THRESHOLD_OPERATORS,
  validateConditions,
} from './conditions.js';
export type {
  ConditionGroup,
  ConditionLimits,
  ConditionNode,
  EqualityCondition,
  EqualityOperator,
  GroupOperator,
  LeafCondition,
  LeafOperator,
  NoDataCondition,
  ParameterValue,
  ParameterWarning,
  RangeCondition,
  RangeOperator,
  RateOfChangeCondition,
  RuleIssue,
  ThresholdCondition,
  ThresholdOperator,
  ValidateConditionsOptions,
  ValidationResult,
} from './conditions.js';

export {
  alarmPolicyOf,
  compileRule,
  createSnapshotContext,
  DEFAULT_COOLDOWN_MINUTES,
  DEFAULT_MAX_SHELVE_MS,
  formatAlarmMessage,
  MAX_COOLDOWN_MINUTES,
  MAX_ON_DELAY_SECONDS,
  rateOfChangePerMinute,
  RuleValidationError,
  validateRuleDefinition,
} from './compile.js';
export type {
  AlarmPolicy,
  CompiledRule,
  EvaluationContext,
  LeafInfo,
  RateSample,
  RuleDefinition,
  SnapshotInput,
} from './compile.js';

export { ALWAYS, isScheduleActive, validateSchedule } from './schedule.js';
export type {
  AlwaysSchedule,
  DateRangeSchedule,
  IsoWeekday,
  Schedule,
  ScheduleType,
  TimeWindowSchedule,
} from './schedule.js';

export {
  ALARM_STATES,
  AlarmMemoryError,
  initialAlarmMemory,
  isAlarmOpen,
  MAX_REASON_LENGTH,
  OPEN_ALARM_STATES,
  restoreAlarmMemory,
  serializeAlarmMemory,
  transition,
} from './alarm-state.js';
export type {
  Actor,
  AlarmEffect,
  AlarmEvent,
  AlarmMemory,
  AlarmState,
  CloseReason,
  JournalCause,
  JournalEntry,
  OutOfServiceMark,
  RefusalCode,
  ServiceScope,
  Shelving,
  TransitionResult,
} from './alarm-state.js';

export { evaluateAlarm } from './evaluate-alarm.js';
export type { AlarmStepInput, AlarmStepResult } from './evaluate-alarm.js';

export {
  alarmKey,
  CHATTER_LIMIT,
  countInWindow,
  findChattering,
  findStanding,
  floodPeriods,
  floodState,
  ISA_FLOOD_LIMIT,
  STANDING_AFTER_MS,
  topFrequent,
} from './alarm-health.js';
export type {
  ChatteringAlarm,
  FloodPeriod,
  FloodState,
  FrequentAlarm,
  RaisedAlarm,
  RateLimit,
  StandingAlarm,
} from './alarm-health.js';
