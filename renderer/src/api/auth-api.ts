/** /api/v1/auth: the calls sign-in, refresh and sign-out make. */
import { api, request } from './http';
import type { Factory, Tokens } from './types';

export const authApi = {
  factories: () => request<{ data: Factory[] }>('GET', '/auth/factories', { auth: false }).then((r) => r.data),
  login: (factorySlug: string, email: string, password: string) =>
    request<Tokens>('POST', '/auth/login', { auth: false, body: { factory_slug: factorySlug, email, password } }),
  refresh: (refreshToken: string) => request<Tokens>('POST', '/auth/refresh', { auth: false, body: { refresh_token: refreshToken } }),
  logout: (refreshToken: string) => request<void>('POST', '/auth/logout', { auth: false, body: { refresh_token: refreshToken } }),
  me: () => api.get<{ data: { user: Tokens['user']; factory: Factory } }>('/auth/me').then((r) => r.data),
};
