/** /api/v1/devices and their parameters. */
import { api } from './http.js';
import type { Device, DeviceDetail, DeviceWithKey, Page, Parameter } from './types.js';

export interface DeviceFields {
  name?: string | null;
  manufacturer?: string | null;
  model?: string | null;
  region?: string | null;
}

export const devicesApi = {
  page: (page: number, perPage = 100, search?: string) =>
    api.get<Page<Device>>('/devices', { page, per_page: perPage, ...(search ? { search } : {}) }),
  /** Every device of the factory (the list endpoint pages at 100). */
  async all(): Promise<Device[]> {
    const first = await devicesApi.page(1);
    const rest = await Promise.all(Array.from({ length: Math.max(0, first.pagination.pages - 1) }, (_, i) => devicesApi.page(i + 2)));
    return [first, ...rest].flatMap((p) => p.data);
  },
  get: (id: number) => api.get<{ data: DeviceDetail }>(`/devices/${id}`).then((r) => r.data),
  create: (body: DeviceFields & { device_key: string }) => api.post<{ data: DeviceWithKey }>('/devices', body).then((r) => r.data),
  update: (id: number, body: DeviceFields & { is_active?: boolean }) => api.patch<{ data: DeviceDetail }>(`/devices/${id}`, body).then((r) => r.data),
  deactivate: (id: number) => api.del<void>(`/devices/${id}`),
  rotateKey: (id: number) => api.post<{ data: DeviceWithKey }>(`/devices/${id}/rotate-key`).then((r) => r.data),
  updateParameter: (id: number, paramId: number, body: { display_name?: string | null; unit?: string | null; is_kpi_selected?: boolean }) =>
    api.patch<{ data: Parameter }>(`/devices/${id}/parameters/${paramId}`, body).then((r) => r.data),
};
