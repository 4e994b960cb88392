import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * What the Temporal server did, counted by operation from its own Prometheus endpoint: calls each service served
 * (`service_requests`: frontend, history, matching), persistence operations (`persistence_requests`: on the dev
 * server, SQLite statements) and visibility store operations (`visibility_persistence_requests`). Diffed over the baseline and over the batch, per message, they
 * show where the server's work for our shape differs from the baseline's, which CPU alone cannot tell.
 */
export type OpCounts = Map<string, number>;

const COUNTED = /^(service_requests|persistence_requests|visibility_persistence_requests)\{([^}]*)\} ([0-9.e+-]+)$/;

/** How an operation is listed: `db` for persistence, `visibility` for the visibility store, else its service. */
const KIND: Record<string, string> = { persistence_requests: 'db', visibility_persistence_requests: 'visibility' };

/** The dev server's metrics address, as its start-up banner in the stack's log gives it (`Metrics: http://…`). */
export function devServerMetricsUrl(dataDir: string): string | undefined {
  try {
    return /Metrics:\s+(http:\/\/\S+)/.exec(readFileSync(join(dataDir, 'logs', 'temporal.log'), 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

export async function serverOps(metricsUrl: string): Promise<OpCounts> {
  const counts: OpCounts = new Map();
  for (const line of (await (await fetch(metricsUrl)).text()).split('\n')) {
    const match = COUNTED.exec(line);
    if (!match) continue;
    const labels = Object.fromEntries([...match[2].matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    const kind = KIND[match[1]] ?? labels.service_name ?? 'rpc';
    const key = `${kind} ${labels.operation ?? '?'}`;
    counts.set(key, (counts.get(key) ?? 0) + Number(match[3]));
  }
  return counts;
}

export function opsSince(before: OpCounts, after: OpCounts): OpCounts {
  return new Map([...after].map(([key, n]) => [key, n - (before.get(key) ?? 0)] as const).filter(([, n]) => n > 0));
}

/**
 * One line per operation that either run did at least `min` times per message, sorted by ours: per message for
 * the gateway and for the baseline, side by side.
 */
export function opsTable(ours: OpCounts, oursMessages: number, baseline: OpCounts | undefined, baselineMessages: number, min = 0.05): string[] {
  const per = (counts: OpCounts | undefined, key: string, messages: number) => (counts?.get(key) ?? 0) / Math.max(1, messages);
  const keys = [...new Set([...ours.keys(), ...(baseline?.keys() ?? [])])]
    .map((key) => ({ key, ours: per(ours, key, oursMessages), base: per(baseline, key, baselineMessages) }))
    .filter((r) => r.ours >= min || r.base >= min)
    .sort((a, b) => b.ours - a.ours);
  const total = (kind: 'db' | 'visibility' | 'rpc', counts: OpCounts | undefined, messages: number) =>
    [...(counts ?? new Map<string, number>())]
      .filter(([k]) => (kind === 'rpc' ? !k.startsWith('db ') && !k.startsWith('visibility ') : k.startsWith(`${kind} `)))
      .reduce((s, [, n]) => s + n, 0) / Math.max(1, messages);
  const totals = (kind: 'db' | 'visibility' | 'rpc') =>
    `${total(kind, ours, oursMessages).toFixed(1)}${baseline ? ` (baseline ${total(kind, baseline, baselineMessages).toFixed(1)})` : ''}`;
  return [
    `  totals per message     persistence ${totals('db')}, visibility ${totals('visibility')}, service calls ${totals('rpc')}`,
    ...keys.map((r) => `  ${r.key.padEnd(52)} ${r.ours.toFixed(2).padStart(6)}${baseline ? `  baseline ${r.base.toFixed(2).padStart(6)}` : ''}`),
  ];
}
