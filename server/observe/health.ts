/** Dependency health for GET /health: each part registers a cheap probe. */
export type HealthProbe = () => Promise<void>;

export interface HealthReport {
  status: 'healthy' | 'degraded';
  dependencies: Record<string, string>;
}

export class HealthChecks {
  private readonly probes = new Map<string, HealthProbe>();

  register(name: string, probe: HealthProbe): void {
    this.probes.set(name, probe);
  }

  async run(timeoutMs = 2000): Promise<HealthReport> {
    const entries = await Promise.all(
      [...this.probes].map(async ([name, probe]) => {
        let timer: NodeJS.Timeout | undefined;
        try {
          await Promise.race([
            probe(),
            new Promise((_, reject) => {
              timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
            }),
          ]);
          return [name, 'ok'] as const;
        } catch (error) {
          return [name, `error: ${error instanceof Error ? error.message : String(error)}`] as const;
        } finally {
          clearTimeout(timer);
        }
      }),
    );
    const dependencies = Object.fromEntries(entries);
    return { status: entries.every(([, s]) => s === 'ok') ? 'healthy' : 'degraded', dependencies };
  }
}
