/**
 * JSON over HTTP to the FactoryOps API. Every failure becomes an ApiFailure carrying the
 * server's error code and field details; a network failure has code NETWORK. A request that
 * meets an expired access token refreshes once and is retried.
 */
import { transport } from './transport.js';

/** `details` of a VALIDATION_FAILED answer: one entry per field. */
export interface FieldIssue {
  path: string;
  message: string;
}

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiFailure';
  }

  /** Field problems the server reported (`details: [{path, message}]`), or []. */
  get fieldIssues(): FieldIssue[] {
    if (!Array.isArray(this.details)) return [];
    return this.details.filter(
      (d): d is FieldIssue => typeof d === 'object' && d !== null && typeof (d as FieldIssue).path === 'string' && typeof (d as FieldIssue).message === 'string',
    );
  }

  get isNetwork(): boolean {
    return this.code === 'NETWORK';
  }
}

/** The session supplies tokens; set once at start (keeps this module free of store imports). */
export interface TokenSource {
  accessToken(): string | null;
  /** Gets a fresh access token after a 401; null when the session has ended. */
  refreshAfterRejection(): Promise<string | null>;
}

let tokens: TokenSource = { accessToken: () => null, refreshAfterRejection: async () => null };

export function setTokenSource(source: TokenSource): void {
  tokens = source;
}

export type Query = Record<string, string | number | boolean | undefined | null>;

export interface RequestOptions {
  body?: unknown;
  query?: Query;
  /** Send the access token (default true). */
  auth?: boolean;
  signal?: AbortSignal;
}

function withQuery(path: string, query: Query | undefined): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== null) params.set(key, String(value));
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

async function send(method: string, path: string, options: RequestOptions, token: string | null): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  try {
    return await fetch(transport().url(`/api/v1${withQuery(path, options.query)}`), {
      method,
      headers,
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiFailure(0, 'NETWORK', `Cannot reach the server at ${transport().serverLabel}.`);
  }
}

async function failureOf(response: Response): Promise<ApiFailure> {
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    // not JSON (a proxy's error page): fall through to the status text
  }
  const error = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | null)?.error;
  if (error && typeof error.code === 'string') {
    return new ApiFailure(response.status, error.code, typeof error.message === 'string' ? error.message : error.code, error.details);
  }
  return new ApiFailure(response.status, response.status >= 500 ? 'SERVICE_UNAVAILABLE' : 'HTTP_ERROR', `The server answered ${response.status} ${response.statusText}.`);
}

const TOKEN_CODES = new Set(['TOKEN_EXPIRED', 'TOKEN_INVALID', 'UNAUTHENTICATED']);

export async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const useAuth = options.auth !== false;
  let response = await send(method, path, options, useAuth ? tokens.accessToken() : null);
  if (response.status === 401 && useAuth) {
    const failure = await failureOf(response);
    if (!TOKEN_CODES.has(failure.code)) throw failure;
    const fresh = await tokens.refreshAfterRejection();
    if (!fresh) throw failure;
    response = await send(method, path, options, fresh);
  }
  if (!response.ok) throw await failureOf(response);
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

export const api = {
  get: <T>(path: string, query?: Query, signal?: AbortSignal) => request<T>('GET', path, { ...(query ? { query } : {}), ...(signal ? { signal } : {}) }),
  post: <T>(path: string, body?: unknown) => request<T>('POST', path, body === undefined ? {} : { body }),
  patch: <T>(path: string, body: unknown) => request<T>('PATCH', path, { body }),
  del: <T>(path: string) => request<T>('DELETE', path),
};

/** A one-line message for a failure, for toasts and callouts. */
export function describeFailure(error: unknown): string {
  if (error instanceof ApiFailure) return error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}
