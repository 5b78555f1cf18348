/** /api/v1/alerts: the alarm console's reads and operator actions. */
import type Type from 'typebox';
import type { AlarmHealthResponse, AlarmJournalEntryView, AlertCountsResponse, AlertView, BulkAcknowledgeResponse } from '../../../engine/contract/alerts.js';
import { api } from './http';
import type { Page } from './types';

export type Alert = AlertView;
export type JournalEntry = Type.Static<typeof AlarmJournalEntryView>;
export type AlarmHealth = Type.Static<typeof AlarmHealthResponse>['data'];
export type AlertCounts = Type.Static<typeof AlertCountsResponse>['data'];
export type BulkAcknowledgeResult = Type.Static<typeof BulkAcknowledgeResponse>['data'];

export const alertsApi = {
  list: (query: { page?: number; per_page?: number; device_id?: number; severity?: string; state?: string; start?: string; end?: string }) =>
    api.get<Page<Alert>>('/alerts', query),
  get: (id: number) => api.get<{ data: Alert }>(`/alerts/${id}`).then((r) => r.data),
  journal: (id: number) => api.get<{ data: JournalEntry[] }>(`/alerts/${id}/journal`).then((r) => r.data),
  counts: () => api.get<{ data: AlertCounts }>('/alerts/counts').then((r) => r.data),
  health: (start?: string, end?: string) => api.get<{ data: AlarmHealth }>('/alerts/health', { start, end }).then((r) => r.data),
  acknowledge: (id: number, comment?: string) => api.patch<{ data: Alert }>(`/alerts/${id}/acknowledge`, comment ? { comment } : {}).then((r) => r.data),
  acknowledgeMany: (ids: number[], comment?: string) =>
    api.post<{ data: BulkAcknowledgeResult }>('/alerts/acknowledge', { ids, ...(comment ? { comment } : {}) }).then((r) => r.data),
  shelve: (id: number, minutes: number, reason: string) => api.patch<{ data: Alert }>(`/alerts/${id}/shelve`, { minutes, reason }).then((r) => r.data),
  unshelve: (id: number) => api.patch<{ data: Alert }>(`/alerts/${id}/unshelve`, {}).then((r) => r.data),
  resolve: (id: number, comment?: string) => api.patch<{ data: Alert }>(`/alerts/${id}/resolve`, comment ? { comment } : {}).then((r) => r.data),
};
