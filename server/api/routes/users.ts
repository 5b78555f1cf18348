/**
 * /api/v1/users (super admins): list, invite, accept an invitation, change role and
 * permissions, deactivate. Seed restrictions: nobody changes themselves or a super admin.
 */
import Type from 'typebox';
import {
  AcceptInviteRequest,
  InviteRequest,
  InviteResponse,
  PermissionsUpdateRequest,
  TokenResponse,
  UserIdParams,
  UserResponse,
  UsersResponse,
} from '../../../engine/contract/auth.js';
import { ErrorResponse } from '../../../engine/contract/common.js';
import { NO_PERMISSIONS, normalizePermissions } from '../../../engine/contract/roles.js';
import { authOf } from '../../auth/guards.js';
import { hashPassword } from '../../auth/passwords.js';
import { randomToken, sha256Hex } from '../../auth/secrets.js';
import { DuplicateKeyError, type User } from '../../store/meta/models.js';
import { ApiError } from '../api-error.js';
import type { ApiContext } from '../context.js';
import type { App } from '../http-server.js';
import { iso, userView } from '../views.js';
import { clientInfo, tokenResponse } from './auth.js';

const INVITE_TTL_MS = 48 * 3600_000;
const errors = { 400: ErrorResponse, 401: ErrorResponse, 403: ErrorResponse, 404: ErrorResponse, 409: ErrorResponse, 410: ErrorResponse };

export async function userRoutes(app: App, ctx: ApiContext): Promise<void> {
  const { authenticate, requireRole } = ctx.guards;
  const superAdmin = [authenticate, requireRole('super_admin')];

  /** A target another super admin may change: exists in this factory, not self, not a super admin. */
  async function changeableUser(actor: User, factoryId: number, userId: number): Promise<User> {
    const target = await ctx.meta.users.get(factoryId, userId);
    if (!target) throw new ApiError('USER_NOT_FOUND', `user ${userId} not found`);
    if (target.id === actor.id) throw new ApiError('CANNOT_MODIFY_SELF', 'you cannot change or deactivate your own account');
    if (target.role === 'super_admin') throw new ApiError('CANNOT_MODIFY_SUPER_ADMIN', 'super admin accounts cannot be changed here');
    return target;
  }

  app.get('/users', { preHandler: superAdmin, schema: { response: { 200: UsersResponse, ...errors } } }, async (request) => {
    const { factory } = authOf(request);
    return { data: (await ctx.meta.users.list(factory.id)).map(userView) };
  });

  app.post('/users/invite', { preHandler: superAdmin, schema: { body: InviteRequest, response: { 201: InviteResponse, ...errors } } }, async (request, reply) => {
    const { factory, user: actor } = authOf(request);
    const now = ctx.clock();
    // The token names its factory so accepting it stays a factory-scoped lookup.
    const token = `${factory.id}.${randomToken(24)}`;
    const body = request.body;
    let invited: User;
    try {
      invited = await ctx.meta.users.create(
        factory.id,
        {
          email: body.email,
          role: body.role ?? 'admin',
          permissions: normalizePermissions({ ...NO_PERMISSIONS, ...body.permissions }),
          whatsappNumber: body.whatsapp_number ?? null,
          phoneNumber: body.phone_number ?? null,
          hashedPassword: null,
          inviteTokenHash: sha256Hex(token),
          invitedAt: now,
          inviteExpiresAt: now + INVITE_TTL_MS,
        },
        now,
      );
    } catch (error) {
      if (error instanceof DuplicateKeyError) throw new ApiError('DUPLICATE_EMAIL', `${body.email} already has an account in this factory`);
      throw error;
    }
    const link = `${ctx.publicUrl}/accept-invite?token=${encodeURIComponent(token)}`;
    let sent = false;
    if (ctx.mailer) {
      try {
        await ctx.mailer.send({
          to: invited.email,
          subject: `You are invited to ${factory.name} on FactoryOps`,
          text: `${actor.email} invited you to the FactoryOps control room of ${factory.name}.\n\nSet your password here (valid for 48 hours):\n${link}\n`,
        });
        sent = true;
      } catch (error) {
        request.log.warn({ event: 'users.invite_mail_failed', factoryId: factory.id, userId: invited.id, err: error }, 'invite e-mail not sent');
      }
    }
    await ctx.meta.audit.record(
      factory.id,
      { userId: actor.id, actor: actor.email, action: 'user.invite', targetType: 'user', targetId: invited.id, details: { email: invited.email, role: invited.role, permissions: invited.permissions }, ip: request.ip, requestId: request.id },
      now,
    );
    return reply.code(201).send({
      data: { id: invited.id, email: invited.email, invite_sent: sent, invite_token: token, invited_at: iso(now), expires_at: iso(now + INVITE_TTL_MS), invite_link: link },
    });
  });

  app.post('/users/accept-invite', { schema: { body: AcceptInviteRequest, response: { 200: TokenResponse, ...errors } } }, async (request) => {
    const { token, password } = request.body;
    const invalid = new ApiError('INVITE_INVALID', 'this invitation link is not valid or was already used');
    const match = /^(\d{1,10})\./.exec(token);
    if (!match) throw invalid;
    const factoryId = Number(match[1]);
    const tokenHash = sha256Hex(token);
    const [factory, user] = await Promise.all([ctx.meta.factories.get(factoryId), ctx.meta.users.findByInviteTokenHash(factoryId, tokenHash)]);
    // A deactivated account's invitation is dead too: accepting it must not bring the account back.
    if (!factory || !user || !user.isActive) throw invalid;
    const now = ctx.clock();
    if (user.inviteExpiresAt !== null && user.inviteExpiresAt <= now) {
      throw new ApiError('INVITE_EXPIRED', 'this invitation expired; ask your administrator for a new one');
    }
    if (!(await ctx.meta.users.acceptInvite(factoryId, user.id, tokenHash, await hashPassword(password), now))) throw invalid;
    await ctx.meta.audit.record(factoryId, { userId: user.id, actor: user.email, action: 'user.accept_invite', targetType: 'user', targetId: user.id, ip: request.ip, requestId: request.id }, now);
    const accepted = await ctx.meta.users.get(factoryId, user.id);
    if (!accepted) throw invalid;
    return tokenResponse(await ctx.sessions.start(factory, accepted, clientInfo(request)));
  });

  app.patch(
    '/users/:id/permissions',
    { preHandler: superAdmin, schema: { params: UserIdParams, body: PermissionsUpdateRequest, response: { 200: UserResponse, ...errors } } },
    async (request) => {
      const { factory, user: actor } = authOf(request);
      const target = await changeableUser(actor, factory.id, request.params.id);
      const { permissions, role } = request.body;
      if (permissions === undefined && role === undefined) {
        throw new ApiError('VALIDATION_FAILED', 'send permissions, role, or both');
      }
      const now = ctx.clock();
      const updated = await ctx.meta.users.update(
        factory.id,
        target.id,
        { ...(permissions && { permissions: { ...target.permissions, ...permissions } }), ...(role && { role }) },
        now,
      );
      if (!updated) throw new ApiError('USER_NOT_FOUND', `user ${target.id} not found`);
      await ctx.meta.audit.record(
        factory.id,
        { userId: actor.id, actor: actor.email, action: 'user.update_permissions', targetType: 'user', targetId: target.id, details: { before: { role: target.role, permissions: target.permissions }, after: { role: updated.role, permissions: updated.permissions } }, ip: request.ip, requestId: request.id },
        now,
      );
      return { data: userView(updated) };
    },
  );

  app.delete('/users/:id', { preHandler: superAdmin, schema: { params: UserIdParams, response: { 204: Type.Null(), ...errors } } }, async (request, reply) => {
    const { factory, user: actor } = authOf(request);
    const target = await changeableUser(actor, factory.id, request.params.id);
    const now = ctx.clock();
    await ctx.meta.users.update(factory.id, target.id, { isActive: false }, now);
    await ctx.meta.refreshTokens.revokeAllForUser(factory.id, target.id, now);
    await ctx.meta.audit.record(factory.id, { userId: actor.id, actor: actor.email, action: 'user.deactivate', targetType: 'user', targetId: target.id, ip: request.ip, requestId: request.id }, now);
    return reply.code(204).send(null);
  });
}
