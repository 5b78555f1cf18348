/** Sign-in, tokens and the signed-in person: request and response shapes. */
import Type from 'typebox';
import { Closed, Id, IsoTime, Nullable } from './common.js';
import { ROLES } from './roles.js';

export const FACTORY_SLUG_PATTERN = '^[a-z0-9](?:[a-z0-9-]{0,62})$';
export const FactorySlug = Type.String({ pattern: FACTORY_SLUG_PATTERN, minLength: 1, maxLength: 63 });
export const Email = Type.String({ format: 'email', minLength: 3, maxLength: 254 });
/** Length only: long passphrases beat composition rules (NIST SP 800-63B). */
export const NewPassword = Type.String({ minLength: 8, maxLength: 256 });
export const RoleSchema = Type.Union([
  Type.Literal('super_admin'),
  Type.Literal('admin'),
  Type.Literal('operator'),
  Type.Literal('viewer'),
]);
// Keep the schema and the ROLES list in step: a new role must be added to both.
const _rolesMatch: readonly Type.Static<typeof RoleSchema>[] = ROLES;

export const PermissionsSchema = Closed({
  can_create_rules: Type.Boolean(),
  can_run_analytics: Type.Boolean(),
  can_generate_reports: Type.Boolean(),
});
export const PermissionsPatch = Closed({
  can_create_rules: Type.Optional(Type.Boolean()),
  can_run_analytics: Type.Optional(Type.Boolean()),
  can_generate_reports: Type.Optional(Type.Boolean()),
});

export const FactorySummary = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  slug: Type.String(),
});

export const UserView = Type.Object({
  id: Type.Integer(),
  email: Type.String(),
  role: RoleSchema,
  permissions: PermissionsSchema,
  is_active: Type.Boolean(),
  whatsapp_number: Nullable(Type.String()),
  phone_number: Nullable(Type.String()),
  invite_pending: Type.Boolean(),
  invited_at: Nullable(IsoTime),
  last_login: Nullable(IsoTime),
  created_at: IsoTime,
});
export type UserView = Type.Static<typeof UserView>;

export const LoginRequest = Closed({
  factory_slug: FactorySlug,
  email: Type.String({ minLength: 1, maxLength: 254 }),
  password: Type.String({ minLength: 1, maxLength: 256 }),
});
export type LoginRequest = Type.Static<typeof LoginRequest>;

export const TokenResponse = Type.Object({
  access_token: Type.String(),
  refresh_token: Type.String(),
  token_type: Type.Literal('bearer'),
  expires_in: Type.Integer(),
  factory: FactorySummary,
  user: UserView,
});
export type TokenResponse = Type.Static<typeof TokenResponse>;

export const RefreshRequest = Closed({ refresh_token: Type.String({ minLength: 10, maxLength: 512 }) });
export const LogoutRequest = Closed({
  refresh_token: Type.Optional(Type.String({ minLength: 10, maxLength: 512 })),
  /** End every session of this person, on every workstation. */
  all_sessions: Type.Optional(Type.Boolean()),
});

export const MeResponse = Type.Object({ data: Type.Object({ user: UserView, factory: FactorySummary }) });
export const FactoriesResponse = Type.Object({ data: Type.Array(FactorySummary) });

export const InviteRequest = Closed({
  email: Email,
  role: Type.Optional(RoleSchema),
  whatsapp_number: Type.Optional(Nullable(Type.String({ pattern: '^\\+[1-9][0-9]{6,14}$' }))),
  phone_number: Type.Optional(Nullable(Type.String({ pattern: '^\\+[1-9][0-9]{6,14}$' }))),
  permissions: Type.Optional(PermissionsPatch),
});
export type InviteRequest = Type.Static<typeof InviteRequest>;

export const InviteResponse = Type.Object({
  data: Type.Object({
    id: Type.Integer(),
    email: Type.String(),
    invite_sent: Type.Boolean(),
    invite_token: Type.String(),
    invited_at: IsoTime,
    expires_at: IsoTime,
    invite_link: Type.String(),
  }),
});

export const AcceptInviteRequest = Closed({
  token: Type.String({ minLength: 10, maxLength: 200 }),
  password: NewPassword,
});

export const PermissionsUpdateRequest = Closed({
  permissions: Type.Optional(PermissionsPatch),
  role: Type.Optional(RoleSchema),
});

export const UsersResponse = Type.Object({ data: Type.Array(UserView) });
export const UserResponse = Type.Object({ data: UserView });
export const UserIdParams = Closed({ id: Id });
