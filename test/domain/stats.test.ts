import type { CountedMessage } from '../../src/domain/rollups';
import { computeStats, taipeiDate } from '../../src/domain/stats';
import { isCalendarDate } from '../../src/domain/taipeiTime';

const at = (iso: string) => new Date(iso);
const row = (over: Partial<CountedMessage>): CountedMessage => ({
  status: 'delivered',
  provider: 'every8d',
  messageType: 'general',
  cost: 0.7,
  segments: 1,
  createdAt: at('2026-11-25T02:00:00Z'),
  ...over,
});

describe('computeStats', () => {
  const rows: CountedMessage[] = [
    row({ sentAt: at('2026-11-25T02:00:01Z'), deliveredAt: at('2026-11-25T02:00:03Z') }),
    row({ sentAt: at('2026-11-25T02:00:02Z'), deliveredAt: at('2026-11-25T02:00:12Z') }),
    row({ status: 'undelivered', provider: 'mitake', cost: 0.75, sentAt: at('2026-11-25T02:00:01Z') }),
    row({ status: 'failed', provider: undefined, cost: undefined, messageType: 'marketing' }),
    // 23:30 UTC on the 25th is already the 26th in Taipei
    row({ status: 'sent', createdAt: at('2026-11-25T23:30:00Z'), cost: 1.4, segments: 2, sentAt: at('2026-11-25T23:30:04Z') }),
  ];
  const stats = computeStats(rows);

  it('counts totals, rates and cost', () => {
    expect(stats.totals).toEqual({
      messages: 5,
      by_status: { delivered: 2, undelivered: 1, failed: 1, sent: 1 },
      delivery_rate: 0.5,
      failure_rate: 0.25,
      cost: 3.55,
      avg_cost: 0.71,
      segments: 6,
    });
  });

  it('splits by provider and message type', () => {
    expect(Object.keys(stats.by_provider)).toEqual(['every8d', 'mitake', 'none']);
    expect(stats.by_provider.every8d).toMatchObject({ messages: 3, cost: 2.8, delivery_rate: 1 });
    expect(stats.by_message_type.marketing).toMatchObject({ messages: 1, failure_rate: 1 });
  });

  it('reads send and delivery latency percentiles back from histogram buckets', () => {
    expect(stats.latency_ms.send).toEqual({ p50: 1_000, p95: 4_000 }); // 1, 1, 2, 4 s: nearest rank
    expect(stats.latency_ms.delivery).toEqual({ p50: 2_000, p95: 10_000 });
  });

  it('groups days by the Asia/Taipei calendar', () => {
    expect(stats.daily.map((d) => [d.date, d.messages])).toEqual([
      ['2026-11-25', 4],
      ['2026-11-26', 1],
    ]);
    expect(taipeiDate(at('2026-11-25T15:59:59Z'))).toBe('2026-11-25');
    expect(taipeiDate(at('2026-11-25T16:00:00Z'))).toBe('2026-11-26');
  });
});

describe('isCalendarDate', () => {
  it('accepts real Asia/Taipei days and refuses the ones Date would roll over or cannot read', () => {
    expect(['2025-01-01', '2024-02-29', '2025-12-31'].filter(isCalendarDate)).toHaveLength(3);
    expect(['2025-13-01', '2025-02-30', '2025-02-29', '2025-00-10', '2025-04-31'].filter(isCalendarDate)).toEqual([]);
  });
});
