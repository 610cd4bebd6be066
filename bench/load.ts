/** Closed-loop load: `concurrency` callers, each issuing its next call when the previous one answers. */
export interface LoadResult {
  requests: number;
  errors: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
}

export async function runLoad(call: (i: number) => Promise<unknown>, opts: { concurrency: number; seconds: number; warmupSeconds?: number }): Promise<LoadResult> {
  const warmupEnd = performance.now() + (opts.warmupSeconds ?? 0.5) * 1000;
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
  if (errors > 0) process.stderr.write(`  ${errors} errors, first: ${String(firstError).slice(0, 200)}\n`);
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  return { requests: latencies.length, errors, rps: latencies.length / opts.seconds, p50Ms: at(0.5), p99Ms: at(0.99) };
}
