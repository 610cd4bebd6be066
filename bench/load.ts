import type { CpuSplit } from "./cpu.js";

/** Closed-loop load: `concurrency` callers, each issuing its next call when the previous one answers. */
export interface LoadResult {
  /** Measured calls (after the warm-up). */
  requests: number;
  /** Every call made, warm-up included. */
  calls: number;
  errors: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU µs per measured call by role, when a meter was given. */
  cpuUsPerCall?: CpuSplit;
}

export async function runLoad(call: (i: number) => Promise<unknown>, opts: { concurrency: number; seconds: number; warmupSeconds?: number; meter?: () => () => CpuSplit }): Promise<LoadResult> {
  const warmupMs = (opts.warmupSeconds ?? 0.5) * 1000;
  const warmupEnd = performance.now() + warmupMs;
  let stopMeter: (() => CpuSplit) | undefined;
  const meterStart = setTimeout(() => (stopMeter = opts.meter?.()), warmupMs);
  const end = warmupEnd + opts.seconds * 1000;
  const latencies: number[] = [];
  let errors = 0;
  let n = 0;
  let firstError: unknown;
  const worker = async () => {
    for (;;) {
      const start = performance.now();
      if (start >= end) return;
      try {
        await call(n++);
        if (start >= warmupEnd) latencies.push(performance.now() - start);
      } catch (err) {
        errors++;
        firstError ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  clearTimeout(meterStart);
  const cpu = stopMeter?.();
  if (errors > 0) process.stderr.write(`  ${errors} errors, first: ${String(firstError).slice(0, 200)}\n`);
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  const perCall = (us: number) => us / Math.max(1, latencies.length);
  const cpuUsPerCall = cpu && { server: perCall(cpu.server), client: perCall(cpu.client), postgres: perCall(cpu.postgres) };
  return { requests: latencies.length, calls: n, errors, rps: latencies.length / opts.seconds, p50Ms: at(0.5), p99Ms: at(0.99), cpuUsPerCall };
}
