import { ERROR_STATUS, type ErrorCode } from '../../engine/contract/errors.js';

/** An error meant for the API client: a code from the catalogue and a readable message. */
export class ApiError extends Error {
  readonly statusCode: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'ApiError';
    this.statusCode = ERROR_STATUS[code];
  }
}

export const notFound = (what: 'DEVICE_NOT_FOUND' | 'USER_NOT_FOUND' | 'PARAMETER_NOT_FOUND' | 'FACTORY_NOT_FOUND' | 'NOT_FOUND', message: string) =>
  new ApiError(what, message);
