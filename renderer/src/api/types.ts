/**
 * Wire shapes the UI reads, derived from the contract's schemas (engine/contract) so a change
 * on the server side fails the renderer's typecheck. Type-only imports: no schema code ships.
 */
import type Type from 'typebox';
import type { FactorySummary, TokenResponse, UserView } from '../../../engine/contract/auth.js';
import type { DeviceDetailView, DeviceView, DeviceWithKeyResponse, ParameterView } from '../../../engine/contract/devices.js';
import type { RuleView, RuleWarningView, RuleCreateRequest, RulePatchRequest } from '../../../engine/contract/rules.js';
import type { DashboardSummary, HistoryResponse, LiveKpiResponse } from '../../../engine/contract/telemetry.js';

export type Factory = Type.Static<typeof FactorySummary>;
export type User = UserView;
export type Tokens = TokenResponse;
export type Device = Type.Static<typeof DeviceView>;
export type DeviceDetail = Type.Static<typeof DeviceDetailView>;
export type DeviceWithKey = Type.Static<typeof DeviceWithKeyResponse>['data'];
export type Parameter = Type.Static<typeof ParameterView>;
export type History = Type.Static<typeof HistoryResponse>['data'];
export type HistoryPoint = History['points'][number];
export type LiveKpi = Type.Static<typeof LiveKpiResponse>['data'][number];
export type Summary = DashboardSummary;
export type Rule = RuleView;
export type RuleWarning = RuleWarningView;
export type RuleCreate = RuleCreateRequest;
export type RulePatch = RulePatchRequest;

export interface Page<T> {
  data: T[];
  pagination: { page: number; per_page: number; total: number; pages: number };
}
