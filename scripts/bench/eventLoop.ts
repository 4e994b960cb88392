/**
 * The worker's event-loop delay, read from its Prometheus endpoint (prom-client's default metrics). Every workflow
 * activation and activity of the worker passes through that one thread, so a long delay there would hold an order
 * confirmation however idle its own workflow thread is. prom-client resets the delay histogram on each scrape, so
 * each sample covers the time since the previous one.
 */
export function eventLoopSampler(metricsUrl: string) {
  const p99: number[] = [];
  let longest = 0;
  return {
    async sample(): Promise<void> {
      const text = await fetch(metricsUrl)
        .then((r) => r.text())
        .catch(() => '');
      const read = (name: string) => Number(new RegExp(`^luckygas_nodejs_eventloop_lag_${name}_seconds (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN) * 1000;
      const [samplePercentile, sampleMax] = [read('p99'), read('max')];
      if (Number.isFinite(samplePercentile)) p99.push(samplePercentile);
      if (Number.isFinite(sampleMax)) longest = Math.max(longest, sampleMax);
    },
    /** The p99 delay of each sample (ms), and the longest single delay seen. */
    result: () => ({ p99, longestMs: longest }),
  };
}

/**
 * The worker main thread's time in garbage collection so far (prom-client's `nodejs_gc_duration_seconds`, every
 * kind), in ms. Workflow threads have their own heaps, which this does not see.
 */
export async function workerGcMs(metricsUrl: string): Promise<number> {
  const text = await fetch(metricsUrl)
    .then((r) => r.text())
    .catch(() => '');
  const sums = [...text.matchAll(/^luckygas_nodejs_gc_duration_seconds_sum\{[^}]*\} (\S+)$/gm)].map((m) => Number(m[1]));
  return sums.reduce((a, b) => a + b, 0) * 1000;
}
