/** Devices and their discovered parameters: request and response shapes (seed shapes). */
import Type from 'typebox';
import { Closed, Id, IsoTime, Nullable, PageQuery, Pagination, Text } from './common.js';

/** Same rule as engine/telemetry identifiers: it is also an MQTT topic segment. */
export const DEVICE_KEY_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$';
export const DeviceKey = Type.String({ pattern: DEVICE_KEY_PATTERN, minLength: 1, maxLength: 100 });

export const ParameterView = Type.Object({
  id: Type.Integer(),
  parameter_key: Type.String(),
  display_name: Nullable(Type.String()),
  unit: Nullable(Type.String()),
  data_type: Type.String(),
  is_kpi_selected: Type.Boolean(),
  discovered_at: IsoTime,
});

export const DeviceView = Type.Object({
  id: Type.Integer(),
  device_key: Type.String(),
  name: Nullable(Type.String()),
  manufacturer: Nullable(Type.String()),
  model: Nullable(Type.String()),
  region: Nullable(Type.String()),
  is_active: Type.Boolean(),
  last_seen: Nullable(IsoTime),
  status: Type.Union([Type.Literal('online'), Type.Literal('offline'), Type.Literal('never_seen')]),
  api_key_prefix: Nullable(Type.String()),
  created_at: IsoTime,
  updated_at: IsoTime,
});

export const DeviceDetailView = Type.Object({ ...DeviceView.properties, parameters: Type.Array(ParameterView) });

export const DeviceListQuery = Closed({
  ...PageQuery,
  search: Type.Optional(Type.String({ maxLength: 100 })),
  is_active: Type.Optional(Type.Boolean()),
});

export const DeviceListResponse = Type.Object({ data: Type.Array(DeviceView), pagination: Pagination });
export const DeviceResponse = Type.Object({ data: DeviceDetailView });

export const DeviceCreateRequest = Closed({
  device_key: DeviceKey,
  name: Type.Optional(Nullable(Text(255))),
  manufacturer: Type.Optional(Nullable(Text(255))),
  model: Type.Optional(Nullable(Text(255))),
  region: Type.Optional(Nullable(Text(255))),
});

export const DevicePatchRequest = Closed({
  name: Type.Optional(Nullable(Text(255))),
  manufacturer: Type.Optional(Nullable(Text(255))),
  model: Type.Optional(Nullable(Text(255))),
  region: Type.Optional(Nullable(Text(255))),
  is_active: Type.Optional(Type.Boolean()),
});

/** The API key appears in exactly two responses: create and rotate. It is never stored. */
export const DeviceWithKeyResponse = Type.Object({
  data: Type.Object({ ...DeviceView.properties, api_key: Type.String() }),
});

export const ParameterPatchRequest = Closed({
  display_name: Type.Optional(Nullable(Text(255))),
  unit: Type.Optional(Nullable(Text(50, 0))),
  is_kpi_selected: Type.Optional(Type.Boolean()),
});
export const ParameterParams = Closed({ id: Id, paramId: Id });
export const ParameterResponse = Type.Object({ data: ParameterView });
