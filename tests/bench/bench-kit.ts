/**
 * What the server benchmarks share: percentiles, event-loop delay, the machine's load at the
 * time of a run, number formatting, the figure/baseline table, and an optional CPU profile.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import type { IntervalHistogram } from 'node:perf_hooks';

export interface Percentiles {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

export function percentiles(samples: readonly number[]): Percentiles | null {
  if (samples.length === 0) return null;
  const sorted = Float64Array.from(samples).sort();
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] as number;
  return { count: sorted.length, p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1] as number };
}

export interface LoopDelay {
  p50: number;
  p99: number;
  max: number;
}

export function loopDelayOf(h: IntervalHistogram): LoopDelay {
  return { p50: h.percentile(50) / 1e6, p99: h.percentile(99) / 1e6, max: h.max / 1e6 };
}

/** Load average and Linux pressure-stall figures (share of time something waited for CPU / I/O). */
export function machineState(): string {
  const psi = (kind: string) => {
    try {
      const some = /some avg10=([\d.]+) avg60=([\d.]+)/.exec(readFileSync(`/proc/pressure/${kind}`, 'utf8'));
      return some ? `${kind} pressure ${some[1]} % (10 s) / ${some[2]} % (60 s)` : '';
    } catch {
      return '';
    }
  };
  return [`load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`, psi('cpu'), psi('io')].filter(Boolean).join('; ');
}

export function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

export interface Row {
  what: string;
  figure: string;
  compared: string;
  target: string;
  verdict: string;
}

export function printTable(rows: Row[]): void {
  const headers: Row = { what: 'measure', figure: 'figure', compared: 'baseline / note', target: 'target', verdict: '' };
  const all = [headers, ...rows];
  const width = (k: keyof Row) => Math.max(...all.map((r) => r[k].length));
  const line = (r: Row) => `${r.what.padEnd(width('what'))}  ${r.figure.padStart(width('figure'))}  ${r.compared.padEnd(width('compared'))}  ${r.target.padEnd(width('target'))}  ${r.verdict}`;
  console.log(line(headers));
  console.log('-'.repeat(line(headers).length + 4));
  for (const r of rows) console.log(line(r));
}

/** CPU profile of this process (the server) around `run` when `dir` is set (BENCH_PROFILE). */
export async function profiled<T>(dir: string, name: string, run: () => Promise<T>): Promise<T> {
  if (!dir) return run();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  try {
    return await run();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `server-${name}.cpuprofile`);
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
    console.log(`  cpu profile: ${file}`);
  }
}
