/** /api/v1/auth: factory list for the sign-in screen, login, refresh, logout, me. */
import Type from 'typebox';
import type { FastifyRequest } from 'fastify';
import {
  FactoriesResponse,
  LoginRequest,
  LogoutRequest,
  MeResponse,
  RefreshRequest,
  TokenResponse,
} from '../../../engine/contract/auth.js';
import { ErrorResponse } from '../../../engine/contract/common.js';
import { authOf, bearerToken, resolveAccessToken } from '../../auth/guards.js';
import type { ClientInfo, IssuedSession } from '../../auth/sessions.js';
import type { ApiContext } from '../context.js';
import type { App } from '../http-server.js';
import { factoryView, userView } from '../views.js';

export function clientInfo(request: FastifyRequest): ClientInfo {
  const ua = request.headers['user-agent'];
  return { ip: request.ip, userAgent: typeof ua === 'string' ? ua : null, requestId: request.id };
}

export function tokenResponse(session: IssuedSession) {
  return {
    access_token: session.accessToken,
    refresh_token: session.refreshToken,
    token_type: 'bearer' as const,
    expires_in: session.expiresIn,
    factory: factoryView(session.factory),
    user: userView(session.user),
  };
}

const errors = { 400: ErrorResponse, 401: ErrorResponse, 404: ErrorResponse, 429: ErrorResponse };

export async function authRoutes(app: App, ctx: ApiContext): Promise<void> {
  const listFactories = async () => ({ data: (await ctx.meta.factories.list()).map(factoryView) });
  // GET for browsers and the desktop client; POST kept for the seed's clients.
  app.get('/auth/factories', { schema: { response: { 200: FactoriesResponse } } }, listFactories);
  app.post('/auth/factories', { schema: { response: { 200: FactoriesResponse } } }, listFactories);

  app.post('/auth/login', { schema: { body: LoginRequest, response: { 200: TokenResponse, ...errors } } }, async (request) => {
    const { factory_slug, email, password } = request.body;
    return tokenResponse(await ctx.sessions.login(factory_slug, email, password, clientInfo(request)));
  });

  app.post('/auth/refresh', { schema: { body: RefreshRequest, response: { 200: TokenResponse, ...errors } } }, async (request) =>
    tokenResponse(await ctx.sessions.refresh(request.body.refresh_token, clientInfo(request))),
  );

  app.post('/auth/logout', { schema: { body: LogoutRequest, response: { 204: Type.Null(), ...errors } } }, async (request, reply) => {
    const { refresh_token, all_sessions } = request.body;
    if (refresh_token) {
      const ended = await ctx.sessions.logout(refresh_token);
      const user = ended ? await ctx.meta.users.get(ended.factoryId, ended.userId) : undefined;
      if (ended && user) {
        await ctx.meta.audit.record(
          ended.factoryId,
          { userId: user.id, actor: user.email, action: 'auth.logout', targetType: 'user', targetId: user.id, ip: request.ip, requestId: request.id },
          ctx.clock(),
        );
      }
    }
    if (all_sessions) {
      const token = bearerToken(request.headers.authorization);
      if (!token) {
        return reply.code(401).send({ error: { code: 'UNAUTHENTICATED', message: 'all_sessions needs the access token' } });
      }
      const auth = await resolveAccessToken(ctx.meta, ctx.tokens, token, ctx.clock());
      await ctx.sessions.logoutEverywhere(auth.factory.id, auth.user.id);
      await ctx.meta.audit.record(
        auth.factory.id,
        { userId: auth.user.id, actor: auth.user.email, action: 'auth.logout_all', targetType: 'user', targetId: auth.user.id, ip: request.ip, requestId: request.id },
        ctx.clock(),
      );
    }
    return reply.code(204).send(null);
  });

  app.get(
    '/auth/me',
    { preHandler: ctx.guards.authenticate, schema: { response: { 200: MeResponse, 401: ErrorResponse } } },
    async (request) => {
      const { user, factory } = authOf(request);
      return { data: { user: userView(user), factory: factoryView(factory) } };
    },
  );
}
