/** /api/v1/audit: who changed what, newest first (admins and super admins). */
import Type from 'typebox';
import { Closed, ErrorResponse, IsoTime, Nullable, PageQuery, Pagination } from '../../../engine/contract/common.js';
import { authOf } from '../../auth/guards.js';
import type { ApiContext } from '../context.js';
import type { App } from '../http-server.js';
import { iso } from '../views.js';

const AuditView = Type.Object({
  id: Type.Integer(),
  user_id: Nullable(Type.Integer()),
  actor: Type.String(),
  action: Type.String(),
  target_type: Type.String(),
  target_id: Nullable(Type.String()),
  details: Type.Unknown(),
  ip: Nullable(Type.String()),
  request_id: Nullable(Type.String()),
  created_at: IsoTime,
});

export async function auditRoutes(app: App, ctx: ApiContext): Promise<void> {
  app.get(
    '/audit',
    {
      preHandler: [ctx.guards.authenticate, ctx.guards.requireRole('admin')],
      schema: {
        querystring: Closed({ ...PageQuery }),
        response: { 200: Type.Object({ data: Type.Array(AuditView), pagination: Pagination }), 401: ErrorResponse, 403: ErrorResponse },
      },
    },
    async (request) => {
      const { factory } = authOf(request);
      const page = request.query.page ?? 1;
      const perPage = request.query.per_page ?? 20;
      const result = await ctx.meta.audit.list(factory.id, page, perPage);
      return {
        data: result.rows.map((e) => ({
          id: e.id,
          user_id: e.userId,
          actor: e.actor,
          action: e.action,
          target_type: e.targetType,
          target_id: e.targetId,
          details: e.details,
          ip: e.ip,
          request_id: e.requestId,
          created_at: iso(e.createdAt),
        })),
        pagination: { page, per_page: perPage, total: result.total, pages: Math.ceil(result.total / perPage) },
      };
    },
  );
}
