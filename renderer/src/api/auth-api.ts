/** /api/v1/auth (and the invitation's accept call): the calls sign-in, refresh and sign-out make. */
import { api, request } from './http.js';
import type { Factory, Tokens } from './types.js';

export const authApi = {
  factories: () => request<{ data: Factory[] }>('GET', '/auth/factories', { auth: false }).then((r) => r.data),
  login: (factorySlug: string, email: string, password: string) =>
    request<Tokens>('POST', '/auth/login', { auth: false, body: { factory_slug: factorySlug, email, password } }),
  refresh: (refreshToken: string) => request<Tokens>('POST', '/auth/refresh', { auth: false, body: { refresh_token: refreshToken } }),
  logout: (refreshToken: string) => request<void>('POST', '/auth/logout', { auth: false, body: { refresh_token: refreshToken } }),
  /** Sets the password of an invited account; answers with tokens like a sign-in. */
  acceptInvite: (token: string, password: string) => request<Tokens>('POST', '/users/accept-invite', { auth: false, body: { token, password } }),
  me: () => api.get<{ data: { user: Tokens['user']; factory: Factory } }>('/auth/me').then((r) => r.data),
};
