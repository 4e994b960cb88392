import type { SmsStatus } from './sms';

/** The fields of a message that statistics read. */
export interface StatsRow {
  status: SmsStatus;
  provider?: string;
  message_type: string;
  cost?: number;
  segments: number;
  created_at: Date;
  sent_at?: Date;
  delivered_at?: Date;
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
  /** request → provider accepted, and provider accepted → receipt, in milliseconds. */
  latency_ms: { send: { p50: number | null; p95: number | null }; delivery: { p50: number | null; p95: number | null } };
  /** One entry per Asia/Taipei day that has messages, oldest first. */
  daily: ({ date: string } & Bucket)[];
}

const TAIPEI_OFFSET_MS = 8 * 3600_000;
export const taipeiDate = (d: Date): string => new Date(d.getTime() + TAIPEI_OFFSET_MS).toISOString().slice(0, 10);

/**
 * Figures over a set of messages. Delivery rate: delivered ÷ messages with an outcome (delivered, undelivered,
 * expired, failed); failure rate: failed ÷ the same. Summed in code: FerretDB v1's $group cannot sum fields.
 */
export function computeStats(rows: Iterable<StatsRow>): Stats {
  const totals = new Acc();
  const byProvider = new Map<string, Acc>();
  const byType = new Map<string, Acc>();
  const byDay = new Map<string, Acc>();
  const send: number[] = [];
  const delivery: number[] = [];
  const into = (map: Map<string, Acc>, key: string) => map.get(key) ?? map.set(key, new Acc()).get(key)!;

  for (const r of rows) {
    for (const acc of [totals, into(byProvider, r.provider ?? 'none'), into(byType, r.message_type), into(byDay, taipeiDate(r.created_at))]) acc.add(r);
    if (r.sent_at) send.push(r.sent_at.getTime() - r.created_at.getTime());
    if (r.sent_at && r.delivered_at) delivery.push(r.delivered_at.getTime() - r.sent_at.getTime());
  }
  const record = (map: Map<string, Acc>) => Object.fromEntries([...map].sort(([a], [b]) => a.localeCompare(b)).map(([k, acc]) => [k, acc.bucket()]));
  return {
    totals: totals.bucket(),
    by_provider: record(byProvider),
    by_message_type: record(byType),
    latency_ms: { send: percentiles(send), delivery: percentiles(delivery) },
    daily: [...byDay].sort(([a], [b]) => a.localeCompare(b)).map(([date, acc]) => ({ date, ...acc.bucket() })),
  };
}

class Acc {
  private messages = 0;
  private cost = 0;
  private segments = 0;
  private readonly byStatus: Partial<Record<SmsStatus, number>> = {};

  add(r: StatsRow): void {
    this.messages += 1;
    this.cost += r.cost ?? 0;
    this.segments += r.segments;
    this.byStatus[r.status] = (this.byStatus[r.status] ?? 0) + 1;
  }

  bucket(): Bucket {
    const s = this.byStatus;
    const decided = (s.delivered ?? 0) + (s.undelivered ?? 0) + (s.expired ?? 0) + (s.failed ?? 0);
    return {
      messages: this.messages,
      by_status: { ...s },
      delivery_rate: decided ? round((s.delivered ?? 0) / decided) : 0,
      failure_rate: decided ? round((s.failed ?? 0) / decided) : 0,
      cost: round(this.cost),
      avg_cost: this.messages ? round(this.cost / this.messages) : 0,
      segments: this.segments,
    };
  }
}

/** Nearest-rank percentiles; null without data. */
function percentiles(values: number[]): { p50: number | null; p95: number | null } {
  if (values.length === 0) return { p50: null, p95: null };
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
  return { p50: rank(50), p95: rank(95) };
}

const round = (n: number) => Math.round(n * 10_000) / 10_000;
