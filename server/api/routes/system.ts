/** GET /health (each dependency's state) and GET /api/v1/metrics (Prometheus text). */
import type { ApiContext } from '../context.js';
import type { App } from '../http-server.js';

export async function healthRoute(app: App, ctx: ApiContext): Promise<void> {
  app.get('/health', async (_request, reply) => {
    const report = await ctx.health.run();
    return reply.code(report.status === 'healthy' ? 200 : 503).send({
      status: report.status,
      version: ctx.version,
      timestamp: new Date(ctx.clock()).toISOString(),
      dependencies: report.dependencies,
    });
  });
}

export async function metricsRoute(app: App, ctx: ApiContext): Promise<void> {
  app.get('/metrics', async (_request, reply) => {
    const text = await ctx.metrics.registry.metrics();
    return reply.type(ctx.metrics.registry.contentType).send(text);
  });
}
