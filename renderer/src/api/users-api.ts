/** /api/v1/users (super admins) and /api/v1/audit (admins). */
import type { PermissionsPatch } from '../../../engine/contract/auth.js';
import type { Role } from '../../../engine/contract/roles.js';
import type Type from 'typebox';
import { api } from './http';
import type { Page, User } from './types';

export interface Invitation {
  id: number;
  email: string;
  invite_sent: boolean;
  invite_token: string;
  invited_at: string;
  expires_at: string;
  invite_link: string;
}

export interface AuditEntry {
  id: number;
  user_id: number | null;
  actor: string;
  action: string;
  target_type: string;
  target_id: string | null;
  details: unknown;
  ip: string | null;
  request_id: string | null;
  created_at: string;
}

export const usersApi = {
  list: () => api.get<{ data: User[] }>('/users').then((r) => r.data),
  invite: (body: { email: string; role?: Role; phone_number?: string | null; whatsapp_number?: string | null; permissions?: Type.Static<typeof PermissionsPatch> }) =>
    api.post<{ data: Invitation }>('/users/invite', body).then((r) => r.data),
  updatePermissions: (id: number, body: { role?: Role; permissions?: Type.Static<typeof PermissionsPatch> }) =>
    api.patch<{ data: User }>(`/users/${id}/permissions`, body).then((r) => r.data),
  deactivate: (id: number) => api.del<void>(`/users/${id}`),
  audit: (page: number, perPage = 50) => api.get<Page<AuditEntry>>('/audit', { page, per_page: perPage }),
};
