/**
 * /api/v1/devices: list, get (with parameters), create (API key shown once), patch, soft
 * delete, rotate key, parameter metadata. Reads for every signed-in role; changes need admin.
 * Another factory's device is always 404: every lookup is scoped by the caller's factory.
 */
import Type from 'typebox';
import { ErrorResponse, IdParams } from '../../../engine/contract/common.js';
import {
  DeviceCreateRequest,
  DeviceListQuery,
  DeviceListResponse,
  DevicePatchRequest,
  DeviceResponse,
  DeviceWithKeyResponse,
  ParameterParams,
  ParameterPatchRequest,
  ParameterResponse,
} from '../../../engine/contract/devices.js';
import type { AuthContext } from '../../auth/guards.js';
import { authOf } from '../../auth/guards.js';
import { newDeviceApiKey } from '../../auth/secrets.js';
import type { MetaRepositories } from '../../store/meta/meta-store.js';
import { DuplicateKeyError, type Device } from '../../store/meta/models.js';
import { ApiError } from '../api-error.js';
import type { ApiContext } from '../context.js';
import type { App } from '../http-server.js';
import { deviceView, parameterView } from '../views.js';

const errors = { 400: ErrorResponse, 401: ErrorResponse, 403: ErrorResponse, 404: ErrorResponse, 409: ErrorResponse };

export async function deviceRoutes(app: App, ctx: ApiContext): Promise<void> {
  const { authenticate, requireRole } = ctx.guards;
  const admin = [authenticate, requireRole('admin')];

  const view = async (d: Device) =>
    deviceView(d, ctx.clock(), ctx.offlineAfterMs, await ctx.meta.deviceCredentials.activePrefix(d.factoryId, d.id));

  async function findDevice(factoryId: number, id: number): Promise<Device> {
    const device = await ctx.meta.devices.get(factoryId, id);
    if (!device) throw new ApiError('DEVICE_NOT_FOUND', `device ${id} not found`);
    return device;
  }

  function audit(auth: AuthContext, request: { ip: string; id: string }, action: string, deviceId: number, details?: unknown) {
    return ctx.meta.audit.record(
      auth.factory.id,
      { userId: auth.user.id, actor: auth.user.email, action, targetType: 'device', targetId: deviceId, details, ip: request.ip, requestId: request.id },
      ctx.clock(),
    );
  }

  /** A new key for the device; only its hash is stored. The caller's transaction keeps device and key together. */
  async function issueKey(repos: MetaRepositories, factoryId: number, deviceId: number): Promise<string> {
    const { key, hash, prefix } = newDeviceApiKey();
    await repos.deviceCredentials.add(factoryId, deviceId, hash, prefix, ctx.clock());
    return key;
  }

  app.get('/devices', { preHandler: authenticate, schema: { querystring: DeviceListQuery, response: { 200: DeviceListResponse, ...errors } } }, async (request) => {
    const { factory } = authOf(request);
    const page = request.query.page ?? 1;
    const perPage = request.query.per_page ?? 20;
    const search = request.query.search?.trim();
    const result = await ctx.meta.devices.list(factory.id, {
      page,
      perPage,
      ...(search ? { search } : {}),
      ...(request.query.is_active !== undefined ? { isActive: request.query.is_active } : {}),
    });
    return {
      data: await Promise.all(result.rows.map(view)),
      pagination: { page, per_page: perPage, total: result.total, pages: Math.ceil(result.total / perPage) },
    };
  });

  app.get('/devices/:id', { preHandler: authenticate, schema: { params: IdParams, response: { 200: DeviceResponse, ...errors } } }, async (request) => {
    const { factory } = authOf(request);
    const device = await findDevice(factory.id, request.params.id);
    const parameters = await ctx.meta.parameters.listForDevice(factory.id, device.id);
    return { data: { ...(await view(device)), parameters: parameters.map(parameterView) } };
  });

  app.post('/devices', { preHandler: admin, schema: { body: DeviceCreateRequest, response: { 201: DeviceWithKeyResponse, ...errors } } }, async (request, reply) => {
    const auth = authOf(request);
    const body = request.body;
    // One transaction: a device never exists without its key.
    const { device, apiKey } = await ctx.meta
      .transaction(async (repos) => {
        const created = await repos.devices.create(
          auth.factory.id,
          { deviceKey: body.device_key, name: body.name ?? null, manufacturer: body.manufacturer ?? null, model: body.model ?? null, region: body.region ?? null },
          ctx.clock(),
        );
        return { device: created, apiKey: await issueKey(repos, auth.factory.id, created.id) };
      })
      .catch((error: unknown) => {
        if (error instanceof DuplicateKeyError) throw new ApiError('DUPLICATE_DEVICE_KEY', `device key "${body.device_key}" already exists in this factory`);
        throw error;
      });
    await audit(auth, request, 'device.create', device.id, { device_key: device.deviceKey, name: device.name });
    ctx.deviceChanged(auth.factory.id, device.id, device.deviceKey);
    return reply.code(201).send({ data: { ...(await view(device)), api_key: apiKey } });
  });

  app.patch('/devices/:id', { preHandler: admin, schema: { params: IdParams, body: DevicePatchRequest, response: { 200: DeviceResponse, ...errors } } }, async (request) => {
    const auth = authOf(request);
    const before = await findDevice(auth.factory.id, request.params.id);
    const b = request.body;
    const updated = await ctx.meta.devices.update(
      auth.factory.id,
      before.id,
      {
        ...(b.name !== undefined && { name: b.name }),
        ...(b.manufacturer !== undefined && { manufacturer: b.manufacturer }),
        ...(b.model !== undefined && { model: b.model }),
        ...(b.region !== undefined && { region: b.region }),
        ...(b.is_active !== undefined && { isActive: b.is_active }),
      },
      ctx.clock(),
    );
    if (!updated) throw new ApiError('DEVICE_NOT_FOUND', `device ${before.id} not found`);
    await audit(auth, request, 'device.update', updated.id, { changes: b });
    ctx.deviceChanged(auth.factory.id, updated.id, updated.deviceKey);
    const parameters = await ctx.meta.parameters.listForDevice(auth.factory.id, updated.id);
    return { data: { ...(await view(updated)), parameters: parameters.map(parameterView) } };
  });

  app.delete('/devices/:id', { preHandler: admin, schema: { params: IdParams, response: { 204: Type.Null(), ...errors } } }, async (request, reply) => {
    const auth = authOf(request);
    const device = await findDevice(auth.factory.id, request.params.id);
    // Soft delete (seed): history stays readable, the device stops being accepted.
    await ctx.meta.devices.update(auth.factory.id, device.id, { isActive: false }, ctx.clock());
    await audit(auth, request, 'device.delete', device.id);
    ctx.deviceChanged(auth.factory.id, device.id, device.deviceKey);
    return reply.code(204).send(null);
  });

  app.post('/devices/:id/rotate-key', { preHandler: admin, schema: { params: IdParams, response: { 200: DeviceWithKeyResponse, ...errors } } }, async (request) => {
    const auth = authOf(request);
    const device = await findDevice(auth.factory.id, request.params.id);
    // One transaction: a failed rotation leaves the old key working rather than none.
    const apiKey = await ctx.meta.transaction(async (repos) => {
      await repos.deviceCredentials.revokeAll(auth.factory.id, device.id, ctx.clock());
      return issueKey(repos, auth.factory.id, device.id);
    });
    await audit(auth, request, 'device.rotate_key', device.id);
    ctx.deviceChanged(auth.factory.id, device.id, device.deviceKey);
    return { data: { ...(await view(device)), api_key: apiKey } };
  });

  app.patch(
    '/devices/:id/parameters/:paramId',
    { preHandler: admin, schema: { params: ParameterParams, body: ParameterPatchRequest, response: { 200: ParameterResponse, ...errors } } },
    async (request) => {
      const auth = authOf(request);
      const device = await findDevice(auth.factory.id, request.params.id);
      const b = request.body;
      const updated = await ctx.meta.parameters.update(
        auth.factory.id,
        device.id,
        request.params.paramId,
        {
          ...(b.display_name !== undefined && { displayName: b.display_name }),
          ...(b.unit !== undefined && { unit: b.unit }),
          ...(b.is_kpi_selected !== undefined && { isKpiSelected: b.is_kpi_selected }),
        },
        ctx.clock(),
      );
      if (!updated) throw new ApiError('PARAMETER_NOT_FOUND', `parameter ${request.params.paramId} not found on device ${device.id}`);
      await audit(auth, request, 'parameter.update', device.id, { parameter_id: updated.id, changes: b });
      return { data: parameterView(updated) };
    },
  );
}
