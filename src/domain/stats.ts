import { addCells, contribution, histogramPercentile, type CountedMessage, type RollupCell } from './rollups';
import type { SmsStatus } from './sms';
import { taipeiDate } from './taipeiTime';

export { taipeiDate } from './taipeiTime';

/** One rollup cell with what it is about: a day, a provider (`none` before any accepted) and a message type. */
export interface CellRow {
  date: string;
  provider: string;
  messageType: string;
  cell: RollupCell;
}

interface Bucket {
  messages: number;
  by_status: Partial<Record<SmsStatus, number>>;
  delivery_rate: number;
  failure_rate: number;
  cost: number;
  avg_cost: number;
  segments: number;
}

export interface Stats {
  totals: Bucket;
  by_provider: Record<string, Bucket>;
  by_message_type: Record<string, Bucket>;
  /** request → provider accepted, and provider accepted → receipt, in milliseconds (histogram bucket bounds). */
  latency_ms: { send: { p50: number | null; p95: number | null }; delivery: { p50: number | null; p95: number | null } };
  /** One entry per Asia/Taipei day that has messages, oldest first. */
  daily: ({ date: string } & Bucket)[];
}

/**
 * Figures over rollup cells. Delivery rate: delivered ÷ messages with an outcome (delivered, undelivered, expired,
 * failed); failure rate: failed ÷ the same. Cost is independent of how many messages the cells stand for.
 */
export function statsFromCells(rows: Iterable<CellRow>): Stats {
  let totals: RollupCell = {};
  const byProvider = new Map<string, RollupCell>();
  const byType = new Map<string, RollupCell>();
  const byDay = new Map<string, RollupCell>();
  const into = (map: Map<string, RollupCell>, key: string, cell: RollupCell) => map.set(key, addCells(map.get(key) ?? {}, cell));
  for (const { date, provider, messageType, cell } of rows) {
    totals = addCells(totals, cell);
    into(byProvider, provider, cell);
    into(byType, messageType, cell);
    into(byDay, date, cell);
  }
  const sorted = (map: Map<string, RollupCell>) => [...map].filter(([, c]) => count(c) > 0).sort(([a], [b]) => a.localeCompare(b));
  return {
    totals: bucket(totals),
    by_provider: Object.fromEntries(sorted(byProvider).map(([k, c]) => [k, bucket(c)])),
    by_message_type: Object.fromEntries(sorted(byType).map(([k, c]) => [k, bucket(c)])),
    latency_ms: {
      send: { p50: histogramPercentile(totals.sl, 50), p95: histogramPercentile(totals.sl, 95) },
      delivery: { p50: histogramPercentile(totals.dl, 50), p95: histogramPercentile(totals.dl, 95) },
    },
    daily: sorted(byDay).map(([date, c]) => ({ date, ...bucket(c) })),
  };
}

/** The same figures straight from messages: what the rollups must equal (tests, and the rebuild's check). */
export function computeStats(messages: Iterable<CountedMessage>): Stats {
  const rows: CellRow[] = [];
  for (const m of messages) {
    for (const [, fields] of contribution(m, 1)) {
      const cell: RollupCell = {};
      for (const [path, v] of Object.entries(fields)) setPath(cell, path.split('.').slice(2), v);
      rows.push({ date: taipeiDate(m.createdAt), provider: m.provider ?? 'none', messageType: m.messageType, cell });
      break; // the day rollup alone: batch and template cells would count the message again
    }
  }
  return statsFromCells(rows);
}

function setPath(target: Record<string, any>, path: string[], value: number): void {
  const last = path.pop()!;
  let node = target;
  for (const key of path) node = node[key] ??= {};
  node[last] = (node[last] ?? 0) + value;
}

const count = (c: RollupCell) => Object.values(c.n ?? {}).reduce((a, b) => a + b, 0);

function bucket(c: RollupCell): Bucket {
  const s = Object.fromEntries(Object.entries(c.n ?? {}).filter(([, v]) => v !== 0)) as Partial<Record<SmsStatus, number>>;
  const messages = count(c);
  const decided = (s.delivered ?? 0) + (s.undelivered ?? 0) + (s.expired ?? 0) + (s.failed ?? 0);
  const cost = c.cost ?? 0;
  return {
    messages,
    by_status: s,
    delivery_rate: decided ? round((s.delivered ?? 0) / decided) : 0,
    failure_rate: decided ? round((s.failed ?? 0) / decided) : 0,
    cost: round(cost),
    avg_cost: messages ? round(cost / messages) : 0,
    segments: c.seg ?? 0,
  };
}

const round = (n: number) => Math.round(n * 10_000) / 10_000;
