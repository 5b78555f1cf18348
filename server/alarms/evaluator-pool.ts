/**
 * The Piscina pool that runs rule evaluation (server/jobs/workers/rule-evaluator.ts) on
 * worker threads. A large task is split across the threads by (rule, device) — items of one
 * key stay together and in order — and the results come back in the task's order.
 */
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import type { EvaluationItem, EvaluationResult, EvaluationTask, RuleTaskEntry } from '../jobs/workers/rule-evaluator.js';

/**
 * Where the worker's JavaScript is. Piscina loads a .js file, and production runs from dist/
 * (`tsc -b` compiles server/jobs/workers/rule-evaluator.ts to
 * dist/server/jobs/workers/rule-evaluator.js). Under vitest or tsx this module is the .ts
 * source, so it points at the compiled file in dist/ instead: `npm test` runs `tsc -b`
 * before vitest (and `npm run bench:*` before the benchmark), so dist/ is current there.
 */
export function ruleEvaluatorFilename(): string {
  const here = import.meta.url;
  const url = here.endsWith('.ts')
    ? new URL('../../dist/server/jobs/workers/rule-evaluator.js', here)
    : new URL('../jobs/workers/rule-evaluator.js', here);
  return url.href;
}

export interface EvaluatorPoolOptions {
  /** Worker threads (default: half the cores, 1–4). */
  threads?: number;
  filename?: string;
  /** Below this many items a task is not split across threads. */
  splitAbove?: number;
}

export class EvaluatorPool {
  private readonly pool: Piscina<EvaluationTask, EvaluationResult[]>;
  private readonly threads: number;
  private readonly splitAbove: number;

  constructor(options: EvaluatorPoolOptions = {}) {
    this.threads = Math.max(1, options.threads ?? Math.min(4, Math.max(1, Math.floor(availableParallelism() / 2))));
    this.splitAbove = options.splitAbove ?? 2_000;
    this.pool = new Piscina({
      filename: options.filename ?? ruleEvaluatorFilename(),
      minThreads: this.threads,
      maxThreads: this.threads,
      // Threads live as long as the pool: a compiled-rule cache per thread is the point.
      idleTimeout: Number.MAX_SAFE_INTEGER,
    });
  }

  get threadCount(): number {
    return this.threads;
  }

  async run(task: EvaluationTask): Promise<EvaluationResult[]> {
    const parts = this.split(task);
    if (parts.length === 1) return this.pool.run(task);
    const answers = await Promise.all(parts.map((p) => this.pool.run(p.task)));
    const results: EvaluationResult[] = new Array(task.items.length);
    parts.forEach((p, i) => {
      const answer = answers[i] as EvaluationResult[];
      p.indexes.forEach((index, j) => (results[index] = answer[j] as EvaluationResult));
    });
    return results;
  }

  async destroy(): Promise<void> {
    await this.pool.destroy();
  }

  private split(task: EvaluationTask): Array<{ task: EvaluationTask; indexes: number[] }> {
    const n = Math.min(this.threads, Math.ceil(task.items.length / this.splitAbove));
    if (n <= 1) return [{ task, indexes: task.items.map((_, i) => i) }];
    const parts = Array.from({ length: n }, () => ({ items: [] as EvaluationItem[], indexes: [] as number[], rules: new Set<number>() }));
    // By device: every item of a (rule, device) lands in the same part, in order.
    task.items.forEach((item, index) => {
      const part = parts[item.deviceId % n] as (typeof parts)[number];
      part.items.push(item);
      part.indexes.push(index);
      part.rules.add(item.ruleId);
    });
    const rulesById = new Map<number, RuleTaskEntry>(task.rules.map((r) => [r.ruleId, r]));
    return parts
      .filter((p) => p.items.length > 0)
      .map((p) => ({
        task: { rules: [...p.rules].map((id) => rulesById.get(id)).filter((r): r is RuleTaskEntry => r !== undefined), items: p.items },
        indexes: p.indexes,
      }));
  }
}
