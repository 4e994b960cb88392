import type { SmsStatus } from './sms';
import { taipeiDate } from './taipeiTime';

/**
 * Rollups: the figures (stats, A/B, batch counts) kept as counters that move with each message's state, so a read
 * costs a few documents whatever the number of messages. A message counts in one cell of each rollup document it
 * belongs to; a state change takes its old contribution away and adds the new one.
 */

/** Latency histogram edges (ms): round values, so p50/p95 read back as figures an operator recognises. */
export const LATENCY_BOUNDS_MS = [
  100,
  250,
  500,
  750,
  1_000,
  2_000,
  3_000,
  4_000,
  5_000,
  6_000,
  7_000,
  8_000,
  9_000,
  10_000,
  15_000,
  20_000,
  30_000,
  45_000,
  60_000,
  120_000,
  300_000,
  600_000,
  1_800_000,
  3_600_000,
  3 * 3_600_000,
  6 * 3_600_000,
  12 * 3_600_000,
  24 * 3_600_000,
] as const;
const OVER_LAST_BOUND = 'inf';

/** The histogram bucket of a latency: `b<upper bound>`, or `inf` past the last bound. */
export function latencyBucket(ms: number): string {
  const bound = LATENCY_BOUNDS_MS.find((b) => ms <= b);
  return bound === undefined ? OVER_LAST_BOUND : `b${bound}`;
}

/** What a message contributes to the figures. */
export interface CountedMessage {
  createdAt: Date;
  status: SmsStatus;
  provider?: string;
  messageType: string;
  segments: number;
  cost?: number;
  batchId?: string;
  templateCode?: string;
  variant?: string;
  sentAt?: Date;
  deliveredAt?: Date;
}

/** One cell: messages by status, segments, cost, and send/delivery latency histograms. */
export interface RollupCell {
  n?: Partial<Record<SmsStatus, number>>;
  seg?: number;
  cost?: number;
  /** request → provider accepted */
  sl?: Record<string, number>;
  /** provider accepted → delivered */
  dl?: Record<string, number>;
}

export interface RollupDoc {
  _id: string;
  cells?: Record<string, RollupCell>;
}

/** Document ids: one per Asia/Taipei day, one per batch (cells by day), one per template (cells by variant). */
export const rollupId = {
  day: (date: string) => `day|${date}`,
  batch: (batchId: string) => `batch|${batchId}`,
  template: (code: string) => `tpl|${code}`,
};
/** Cell keys; their parts never contain `.` (provider, type, date, variant and template ids are validated). */
export const dayCellKey = (provider: string, messageType: string) => `${provider}|${messageType}`;
export const batchCellKey = (date: string, provider: string, messageType: string) => `${date}|${provider}|${messageType}`;

export type Increments = Map<string, Record<string, number>>;

/** The counter increments that add (`sign` 1) or take away (-1) a message's contribution, per rollup document. */
export function contribution(m: CountedMessage, sign: 1 | -1, into: Increments = new Map()): Increments {
  const date = taipeiDate(m.createdAt);
  const provider = m.provider ?? 'none';
  const add = (docId: string, cellKey: string, withLatency: boolean) => {
    const inc = into.get(docId) ?? {};
    into.set(docId, inc);
    const bump = (field: string, value: number) => {
      const path = `cells.${cellKey}.${field}`;
      inc[path] = (inc[path] ?? 0) + sign * value;
    };
    bump(`n.${m.status}`, 1);
    bump('seg', m.segments);
    if (m.cost) bump('cost', m.cost);
    if (!withLatency) return;
    if (m.sentAt) bump(`sl.${latencyBucket(m.sentAt.getTime() - m.createdAt.getTime())}`, 1);
    if (m.sentAt && m.deliveredAt) bump(`dl.${latencyBucket(m.deliveredAt.getTime() - m.sentAt.getTime())}`, 1);
  };
  add(rollupId.day(date), dayCellKey(provider, m.messageType), true);
  if (m.batchId) add(rollupId.batch(m.batchId), batchCellKey(date, provider, m.messageType), true);
  if (m.templateCode) add(rollupId.template(m.templateCode), m.variant ?? 'default', false);
  return into;
}

/** Increments that move a message from its old contribution to its new one; counters that cancel are dropped. */
export function rollupDelta(before: CountedMessage | undefined, after: CountedMessage | undefined): Increments {
  const inc: Increments = new Map();
  if (before) contribution(before, -1, inc);
  if (after) contribution(after, 1, inc);
  for (const [docId, fields] of inc) {
    for (const [path, v] of Object.entries(fields)) if (Math.abs(v) < 1e-9) delete fields[path];
    if (Object.keys(fields).length === 0) inc.delete(docId);
  }
  return inc;
}

/** Adds cell `b` into `a` (for reading several days or rollups as one). */
export function addCells(a: RollupCell, b: RollupCell): RollupCell {
  const sum = (x: Record<string, number> = {}, y: Record<string, number> = {}) => {
    const out = { ...x };
    for (const [k, v] of Object.entries(y)) out[k] = (out[k] ?? 0) + v;
    return out;
  };
  return { n: sum(a.n, b.n), seg: (a.seg ?? 0) + (b.seg ?? 0), cost: (a.cost ?? 0) + (b.cost ?? 0), sl: sum(a.sl, b.sl), dl: sum(a.dl, b.dl) };
}

/** Nearest-rank percentile of a histogram, read as the upper bound of the bucket holding that rank; null when empty. */
export function histogramPercentile(histogram: Record<string, number> | undefined, p: number): number | null {
  const buckets = [...LATENCY_BOUNDS_MS.map((b) => [b, histogram?.[`b${b}`] ?? 0] as const), [Infinity, histogram?.[OVER_LAST_BOUND] ?? 0] as const];
  const total = buckets.reduce((n, [, c]) => n + c, 0);
  if (total <= 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * total));
  let seen = 0;
  for (const [bound, count] of buckets) {
    seen += count;
    if (seen >= rank) return Number.isFinite(bound) ? bound : LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.length - 1];
  }
  return null;
}

/** Messages by status across every cell of a rollup (a batch's counts); statuses at zero are left out. */
export function batchCounts(doc: RollupDoc | null): Partial<Record<SmsStatus, number>> {
  const counts: Partial<Record<SmsStatus, number>> = {};
  for (const cell of Object.values(doc?.cells ?? {})) {
    for (const [status, n] of Object.entries(cell.n ?? {}) as [SmsStatus, number][]) counts[status] = (counts[status] ?? 0) + n;
  }
  return Object.fromEntries(Object.entries(counts).filter(([, n]) => n !== 0));
}
