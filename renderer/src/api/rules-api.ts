/** /api/v1/rules: list, create, update (toggle), delete. */
import { api } from './http';
import type { Rule, RuleCreate, RulePatch, RuleWarning } from './types';

export const rulesApi = {
  list: (query: { device_id?: number; is_active?: boolean } = {}) => api.get<{ data: Rule[] }>('/rules', query).then((r) => r.data),
  get: (id: number) => api.get<{ data: Rule }>(`/rules/${id}`).then((r) => r.data),
  create: (body: RuleCreate) => api.post<{ data: Rule; warnings: RuleWarning[] }>('/rules', body),
  update: (id: number, body: RulePatch) => api.patch<{ data: Rule; warnings: RuleWarning[] }>(`/rules/${id}`, body),
  remove: (id: number) => api.del<{ data: Rule; note: string } | undefined>(`/rules/${id}`),
};
