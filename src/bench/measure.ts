/** Small measurement helpers shared by the `matriz bench` commands. */

export interface Throughput {
  readonly iterations: number;
  readonly seconds: number;
  readonly perSecond: number;
}

/**
 * Runs `work` in batches until `seconds` have passed and returns operations per second.
 * A warm-up of a tenth of the time runs first so that the JIT has settled.
 */
export function measureThroughput(work: () => void, seconds: number): Throughput {
  const warmupEnd = performance.now() + seconds * 100;
  while (performance.now() < warmupEnd) work();
  let iterations = 0;
  let batch = 64;
  const start = performance.now();
  const end = start + seconds * 1000;
  let now = start;
  while (now < end) {
    for (let i = 0; i < batch; i++) work();
    iterations += batch;
    now = performance.now();
    if (batch < 65536 && now - start < (end - start) / 100) batch *= 2;
  }
  const elapsed = (now - start) / 1000;
  return { iterations, seconds: elapsed, perSecond: iterations / elapsed };
}

/** Latency percentile (nearest rank) of samples in milliseconds. */
export function percentile(sortedSamples: readonly number[], p: number): number {
  if (sortedSamples.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sortedSamples.length) - 1;
  return sortedSamples[Math.min(sortedSamples.length - 1, Math.max(0, rank))] ?? Number.NaN;
}
