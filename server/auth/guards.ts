/**
 * Request guards: who is calling (bearer access token → current user record), and whether
 * their role or permission allows the route. Every guarded request carries `request.auth`.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { hasPermission, roleAtLeast, type PermissionKey, type Role } from '../../engine/contract/roles.js';
import { ApiError } from '../api/api-error.js';
import type { Factory, User } from '../store/meta/models.js';
import type { MetaStore } from '../store/meta/meta-store.js';
import type { AccessTokens } from './access-tokens.js';

export interface AuthContext {
  user: User;
  factory: Factory;
}

declare module 'fastify' {
  interface FastifyRequest {
    auth?: AuthContext;
  }
}

export type Guard = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

export interface Guards {
  authenticate: Guard;
  requireRole(minimum: Role): Guard;
  requirePermission(key: PermissionKey): Guard;
}

/** The signed-in caller of a guarded route; a route without the guard is a programming error. */
export function authOf(request: FastifyRequest): AuthContext {
  if (!request.auth) throw new Error('route used authOf() without the authenticate guard');
  return request.auth;
}

export function bearerToken(header: string | undefined): string | null {
  if (!header) return null;
  const match = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i.exec(header.trim());
  return match?.[1] ?? null;
}

export function createGuards(meta: MetaStore, tokens: AccessTokens, clock: () => number): Guards {
  /** Resolves a token to a live user, or explains why not (shared with the WebSocket stream). */
  const authenticate: Guard = async (request) => {
    const token = bearerToken(request.headers.authorization);
    if (!token) throw new ApiError('UNAUTHENTICATED', 'sign in first: send Authorization: Bearer <access token>');
    request.auth = await resolveAccessToken(meta, tokens, token, clock());
  };
  const requireRole =
    (minimum: Role): Guard =>
    async (request) => {
      if (!roleAtLeast(authOf(request).user.role, minimum)) {
        throw new ApiError('FORBIDDEN', `this needs the ${minimum} role or higher`);
      }
    };
  const requirePermission =
    (key: PermissionKey): Guard =>
    async (request) => {
      const { user } = authOf(request);
      if (!hasPermission(user.role, user.permissions, key)) throw new ApiError('PERMISSION_DENIED', `this needs the ${key} permission`);
    };
  return { authenticate, requireRole, requirePermission };
}

export async function resolveAccessToken(meta: MetaStore, tokens: AccessTokens, token: string, now: number): Promise<AuthContext> {
  const result = await tokens.verify(token, now);
  if (!result.ok) {
    throw result.reason === 'expired'
      ? new ApiError('TOKEN_EXPIRED', 'access token expired; refresh it')
      : new ApiError('TOKEN_INVALID', 'access token is not valid');
  }
  const { userId, factoryId } = result.claims;
  const [user, factory] = await Promise.all([meta.users.get(factoryId, userId), meta.factories.get(factoryId)]);
  if (!user || !factory || !user.isActive) throw new ApiError('TOKEN_INVALID', 'this account is no longer active');
  return { user, factory };
}
