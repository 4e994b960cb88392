import { addCells, type RollupCell } from './rollups';
import type { SmsStatus } from './sms';

export interface VariantStats {
  variant: string;
  /** Reached a provider (sent, delivered, undelivered, expired). */
  sent: number;
  delivered: number;
  undelivered: number;
  expired: number;
  /** Never accepted by any provider. */
  failed: number;
  /** Still scheduled, queued or sending. */
  pending: number;
  /** Taken back by the sender before any provider had it: in no rate. */
  cancelled: number;
  /** delivered / (delivered + undelivered + expired): in-flight sends do not count yet. */
  delivery_rate: number;
  avg_segments: number;
  total_cost: number;
  avg_cost: number;
}

export interface MessageOutcome {
  variant?: string;
  status: SmsStatus;
  segments: number;
  cost?: number;
}

/** Folds message outcomes into per-variant figures, in the order variants first appear. */
export function variantStats(outcomes: Iterable<MessageOutcome>): VariantStats[] {
  const cells: Record<string, RollupCell> = {};
  for (const o of outcomes) {
    const key = o.variant ?? 'default';
    cells[key] = addCells(cells[key] ?? {}, { n: { [o.status]: 1 }, seg: o.segments, cost: o.cost ?? 0 });
  }
  return variantStatsFromCells(cells);
}

/** Per-variant figures from a template's rollup cells (one per variant). */
export function variantStatsFromCells(cells: Record<string, RollupCell>): VariantStats[] {
  return Object.entries(cells).map(([variant, cell]) => {
    const c = (status: SmsStatus) => cell.n?.[status] ?? 0;
    const n = Object.values(cell.n ?? {}).reduce((a, b) => a + b, 0);
    const sent = c('sent') + c('delivered') + c('undelivered') + c('expired');
    const decided = c('delivered') + c('undelivered') + c('expired');
    const cost = cell.cost ?? 0;
    return {
      variant,
      sent,
      delivered: c('delivered'),
      undelivered: c('undelivered'),
      expired: c('expired'),
      failed: c('failed'),
      pending: c('scheduled') + c('queued') + c('sending'),
      cancelled: c('cancelled'),
      delivery_rate: decided ? round(c('delivered') / decided) : 0,
      avg_segments: n ? round((cell.seg ?? 0) / n) : 0,
      total_cost: round(cost),
      avg_cost: sent ? round(cost / sent) : 0,
    };
  });
}

/** A variant's figures since `baseline` (cells read earlier from the same rollup). */
export function cellsSince(cells: Record<string, RollupCell>, baseline: Record<string, RollupCell> = {}): Record<string, RollupCell> {
  return Object.fromEntries(Object.entries(cells).map(([variant, cell]) => [variant, addCells(cell, negated(baseline[variant] ?? {}))]));
}

function negated(cell: RollupCell): RollupCell {
  const minus = (counts: Record<string, number> = {}) => Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, -v]));
  return { n: minus(cell.n), seg: -(cell.seg ?? 0), cost: -(cell.cost ?? 0), sl: minus(cell.sl), dl: minus(cell.dl) };
}

export interface WinnerRule {
  min_sends_per_variant: number;
  min_delivery_rate_lead: number;
}

/**
 * The winning variant once every variant has enough decided sends and the best delivery rate leads the
 * runner-up by at least the rule's margin; undefined until then.
 */
export function decideWinner(stats: VariantStats[], variantIds: string[], rule: WinnerRule): string | undefined {
  if (variantIds.length < 2) return undefined;
  const byId = new Map(stats.map((s) => [s.variant, s]));
  const contenders = variantIds.map((id) => byId.get(id));
  if (contenders.some((s) => !s || s.delivered + s.undelivered + s.expired < rule.min_sends_per_variant)) return undefined;
  const ranked = (contenders as VariantStats[]).sort((a, b) => b.delivery_rate - a.delivery_rate);
  return ranked[0].delivery_rate - ranked[1].delivery_rate >= rule.min_delivery_rate_lead ? ranked[0].variant : undefined;
}

const round = (n: number) => Math.round(n * 10_000) / 10_000;
