/**
 * The Fastify instance: HTTPS (or HTTP), schema validation that refuses unknown fields,
 * one error shape for every failure, request ids, security headers and request metrics.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet from '@fastify/helmet';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Ajv, type Options as AjvOptions, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type RawServerDefault } from 'fastify';
import type { ErrorBody, ErrorCode } from '../../engine/contract/errors.js';
import type { Logger } from '../observe/logger.js';
import type { ServerMetrics } from '../observe/metrics.js';
import { ApiError } from './api-error.js';

export type App = FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger, TypeBoxTypeProvider>;

export interface HttpServerOptions {
  logger: Logger;
  metrics: ServerMetrics;
  tls: { cert: string; key: string } | null;
  bodyLimitBytes?: number;
  /** Proxies whose X-Forwarded-For is believed (for login throttling by address). */
  trustProxy?: boolean | string;
}

const STATUS_CODES: Record<number, ErrorCode> = {
  400: 'VALIDATION_FAILED',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'TOO_MANY_REQUESTS',
  503: 'SERVICE_UNAVAILABLE',
};

export function errorBody(code: ErrorCode, message: string, details?: unknown): ErrorBody {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}

const AJV_OPTIONS: AjvOptions = {
  // Refuse unknown fields (schemas say additionalProperties:false) instead of silently
  // dropping them, so a typo in a client is seen at once.
  removeAdditional: false,
  useDefaults: true,
  addUsedSchema: false,
  // Never true: with every error collected, a crafted body costs the server much more.
  allErrors: false,
};

/**
 * Query strings and path parameters arrive as text, so their validator turns "2" into 2 and
 * "true" into true. A JSON body already has types: it is checked as sent, so `"is_active":
 * null`, `"name": true` or `"device_key": ["M1"]` is a 400, not silently coerced to false,
 * "true" or "M1".
 */
function buildValidators(externalSchemas: unknown): (route: { schema: { $id?: string }; httpPart?: string }) => ValidateFunction {
  const make = (coerce: boolean) => {
    const ajv = new Ajv({ ...AJV_OPTIONS, coerceTypes: coerce ? 'array' : false });
    (addFormats as unknown as (ajv: Ajv) => void)(ajv);
    for (const schema of Object.values((externalSchemas ?? {}) as Record<string, object>)) ajv.addSchema(schema);
    return ajv;
  };
  const coercing = make(true);
  const strict = make(false);
  return ({ schema, httpPart }) => {
    const ajv = httpPart === 'body' ? strict : coercing;
    const known = schema.$id ? ajv.getSchema(schema.$id) : undefined;
    return known ?? ajv.compile(schema);
  };
}

export function createHttpServer(options: HttpServerOptions): App {
  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    // Our own onResponse hook logs requests (at debug) with the fields we want.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimitBytes ?? 1024 * 1024,
    trustProxy: options.trustProxy ?? false,
    return503OnClosing: true,
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && /^[A-Za-z0-9._-]{1,64}$/.test(incoming) ? incoming : randomUUID();
    },
    ...(options.tls ? { https: { cert: options.tls.cert, key: options.tls.key, minVersion: 'TLSv1.2' as const } } : {}),
    // Fastify's types describe this factory as Ajv's compile; at run time it receives the route part.
    schemaController: { compilersFactory: { buildValidator: buildValidators as never } },
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as App;

  // The API speaks JSON only: a text/plain body is 415, not a string handed to a schema. An
  // empty body with a JSON content type (what many clients send on DELETE or rotate-key) is
  // "no body", not a syntax error; routes that need a body still refuse it in validation.
  app.removeContentTypeParser('text/plain');
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    parseJson(request, text, done);
  });

  void app.register(helmet, {
    // The renderer is served from here: allow its own scripts, styles, images and the WebSocket.
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'", 'wss:', 'ws:'],
        fontSrc: ["'self'", 'data:'],
        objectSrc: ["'none'"],
        frameAncestors: ["'none'"],
      },
    },
    hsts: options.tls ? { maxAge: 15552000 } : false,
  });

  app.addHook('onRequest', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    options.metrics.httpDuration.observe(
      { method: request.method, route, status_code: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    request.log.debug({ event: 'http.request', method: request.method, route, status: reply.statusCode, ms: reply.elapsedTime }, 'request');
  });

  // A route that takes no body gets none: `{"foo":1}` sent to rotate-key is a client mistake
  // to report, like an unknown field in a body that has a schema. `{}` is tolerated.
  app.addHook('preValidation', async (request) => {
    const body: unknown = request.body;
    if (body === undefined || request.routeOptions.schema?.body) return;
    const empty = typeof body === 'object' && body !== null && !Array.isArray(body) && Object.keys(body).length === 0;
    if (!empty) throw new ApiError('VALIDATION_FAILED', `${request.method} ${request.routeOptions.url ?? ''} takes no request body`);
  });

  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send(errorBody('NOT_FOUND', `no route for ${request.method} ${request.url.split('?')[0]}`));
  });

  app.setErrorHandler((error: FastifyError | ApiError | Error, request, reply) => {
    if (error instanceof ApiError) {
      if (error.headers) void reply.headers(error.headers);
      return reply.code(error.statusCode).send(errorBody(error.code, error.message, error.details));
    }
    const fe = error as FastifyError;
    if (fe.validation) {
      return reply.code(400).send(errorBody('VALIDATION_FAILED', fe.message, fe.validation.map((v) => ({ path: v.instancePath, message: v.message }))));
    }
    const status = typeof fe.statusCode === 'number' ? fe.statusCode : 500;
    if (status >= 400 && status < 500) {
      const code: ErrorCode =
        error instanceof SyntaxError || fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || fe.code === 'FST_ERR_CTP_EMPTY_JSON_BODY'
          ? 'INVALID_JSON'
          : (STATUS_CODES[status] ?? 'VALIDATION_FAILED');
      return reply.code(status).send(errorBody(code, fe.message));
    }
    request.log.error({ event: 'http.unhandled_error', err: error, requestId: request.id }, 'unhandled error');
    return reply.code(500).send(errorBody('INTERNAL', 'internal error; the request id is in the x-request-id header'));
  });

  return app;
}
