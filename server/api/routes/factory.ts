/** /api/v1/factory: the signed-in factory's settings and its device provisioning key (super admins). */
import { ErrorResponse } from '../../../engine/contract/common.js';
import { FactoryPatchRequest, FactorySettingsResponse, ProvisioningKeyResponse } from '../../../engine/contract/telemetry.js';
import { authOf } from '../../auth/guards.js';
import { randomToken, sha256Hex } from '../../auth/secrets.js';
import type { Factory } from '../../store/meta/models.js';
import type { FactoryNotificationSettings } from '../../store/meta/repositories/factories.js';
import { ApiError } from '../api-error.js';
import type { ApiContext } from '../context.js';
import type { App } from '../http-server.js';

const errors = { 400: ErrorResponse, 401: ErrorResponse, 403: ErrorResponse };

function settingsView(f: Factory, notify: FactoryNotificationSettings | null) {
  return {
    id: f.id,
    slug: f.slug,
    name: f.name,
    timezone: f.timezone,
    allow_auto_provision: f.allowAutoProvision,
    has_provisioning_key: f.hasProvisioningKey,
    webhook_url: notify?.webhookUrl ?? null,
    has_webhook_secret: notify?.webhookSecret != null,
  };
}

export async function factoryRoutes(app: App, ctx: ApiContext): Promise<void> {
  const { authenticate, requireRole } = ctx.guards;

  app.get('/factory', { preHandler: authenticate, schema: { response: { 200: FactorySettingsResponse, ...errors } } }, async (request) => {
    const { factory } = authOf(request);
    return { data: settingsView(factory, await ctx.meta.factories.notificationSettings(factory.id)) };
  });

  app.patch(
    '/factory',
    { preHandler: [authenticate, requireRole('super_admin')], schema: { body: FactoryPatchRequest, response: { 200: FactorySettingsResponse, ...errors } } },
    async (request) => {
      const { factory, user } = authOf(request);
      const b = request.body;
      if (b.timezone !== undefined) {
        try {
          new Intl.DateTimeFormat('en', { timeZone: b.timezone });
        } catch {
          throw new ApiError('VALIDATION_FAILED', `"${b.timezone.slice(0, 60)}" is not an IANA time zone (e.g. Europe/Berlin)`);
        }
      }
      let notify = await ctx.meta.factories.notificationSettings(factory.id);
      if (b.webhook_url !== undefined || b.webhook_secret !== undefined) {
        const next = {
          webhookUrl: b.webhook_url !== undefined ? b.webhook_url : (notify?.webhookUrl ?? null),
          webhookSecret: b.webhook_secret !== undefined ? b.webhook_secret : (notify?.webhookSecret ?? null),
        };
        // An unsigned webhook could be forged by anyone who learns its URL.
        if (next.webhookUrl !== null && next.webhookSecret === null) {
          throw new ApiError('VALIDATION_FAILED', 'a webhook needs a webhook_secret (at least 16 characters) to sign its requests');
        }
        await ctx.meta.factories.setNotificationSettings(factory.id, next.webhookUrl === null && next.webhookSecret === null ? null : next, ctx.clock());
        notify = next;
      }
      const updated = await ctx.meta.factories.update(
        factory.id,
        { ...(b.name !== undefined && { name: b.name }), ...(b.timezone !== undefined && { timezone: b.timezone }), ...(b.allow_auto_provision !== undefined && { allowAutoProvision: b.allow_auto_provision }) },
        ctx.clock(),
      );
      if (!updated) throw new ApiError('FACTORY_NOT_FOUND', 'factory not found');
      await ctx.meta.audit.record(factory.id, { userId: user.id, actor: user.email, action: 'factory.update', targetType: 'factory', targetId: factory.id, details: { changes: { ...b, ...(b.webhook_secret !== undefined && { webhook_secret: b.webhook_secret === null ? null : '(set)' }) } }, ip: request.ip, requestId: request.id }, ctx.clock());
      return { data: settingsView(updated, notify) };
    },
  );

  app.post(
    '/factory/provisioning-key',
    { preHandler: [authenticate, requireRole('super_admin')], schema: { response: { 200: ProvisioningKeyResponse, ...errors } } },
    async (request) => {
      const { factory, user } = authOf(request);
      // Shown once; a new key replaces the old one at once.
      const key = `fp_${randomToken(32)}`;
      await ctx.meta.factories.update(factory.id, { provisioningKeyHash: sha256Hex(key) }, ctx.clock());
      await ctx.meta.audit.record(factory.id, { userId: user.id, actor: user.email, action: 'factory.rotate_provisioning_key', targetType: 'factory', targetId: factory.id, ip: request.ip, requestId: request.id }, ctx.clock());
      return { data: { provisioning_key: key } };
    },
  );
}
