/** History and summary reads (live values come over the stream, never by polling). */
import { api } from './http';
import type { History, Summary } from './types';

export const telemetryApi = {
  history: (deviceId: number, parameter: string, start: number, end: number, maxPoints: number, signal?: AbortSignal) =>
    api
      .get<{ data: History }>(
        `/devices/${deviceId}/kpis/history`,
        { parameter, start: new Date(start).toISOString(), end: new Date(end).toISOString(), max_points: Math.max(1, Math.min(100_000, Math.round(maxPoints))) },
        signal,
      )
      .then((r) => r.data),
  summary: () => api.get<{ data: Summary }>('/dashboard/summary').then((r) => r.data),
};
