/**
 * The one catalogue of API error codes. Every error a client sees is
 * `{"error":{"code": <one of these>, "message": "..."}}` with the status given here.
 */
export const ERROR_STATUS = {
  VALIDATION_FAILED: 400,
  INVALID_JSON: 400,
  DUPLICATE_DEVICE_KEY: 409,
  DUPLICATE_EMAIL: 409,
  DUPLICATE_FACTORY_SLUG: 409,
  UNAUTHENTICATED: 401,
  INVALID_CREDENTIALS: 401,
  TOKEN_INVALID: 401,
  TOKEN_EXPIRED: 401,
  REFRESH_TOKEN_INVALID: 401,
  DEVICE_KEY_INVALID: 401,
  FORBIDDEN: 403,
  PERMISSION_DENIED: 403,
  CANNOT_MODIFY_SELF: 403,
  CANNOT_MODIFY_SUPER_ADMIN: 403,
  NOT_FOUND: 404,
  FACTORY_NOT_FOUND: 404,
  DEVICE_NOT_FOUND: 404,
  PARAMETER_NOT_FOUND: 404,
  USER_NOT_FOUND: 404,
  RULE_NOT_FOUND: 404,
  ALERT_NOT_FOUND: 404,
  MAINTENANCE_NOT_FOUND: 404,
  /** The alarm's state does not allow the action (acknowledge an acknowledged alarm, unshelve one not shelved). */
  INVALID_TRANSITION: 409,
  INVITE_INVALID: 400,
  INVITE_EXPIRED: 410,
  METHOD_NOT_ALLOWED: 405,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  TOO_MANY_REQUESTS: 429,
  INTERNAL: 500,
  SERVICE_UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown };
}
