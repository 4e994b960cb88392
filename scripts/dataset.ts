import { randomUUID } from 'node:crypto';
import type { SmsMessage } from '../src/db/messages';
import type { MessageType, ProviderName, SmsStatus } from '../src/domain/sms';

/**
 * A realistic month of LuckyGas traffic for the data-scale benchmark: 30 days, every status, provider and type,
 * batches, templates with A/B variants, repeat customers and order references. Deterministic for a given seed.
 */
export interface Dataset {
  /** Messages in creation order, a page at a time. */
  pages(pageSize: number): Generator<SmsMessage[]>;
  /** Values the read benchmark filters by (a real customer, batch, template, order). */
  samples: { phone: string; batchId: string; templateCode: string; orderId: string };
}

const DAY_MS = 24 * 3600_000;
const CUSTOMERS = 50_000;

function mulberry32(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(rand: () => number, weighted: [T, number][]): T {
  let r = rand() * weighted.reduce((s, [, w]) => s + w, 0);
  for (const [value, w] of weighted) if ((r -= w) < 0) return value;
  return weighted[weighted.length - 1][0];
}

const STATUS_MIX: [SmsStatus, number][] = [
  ['delivered', 90],
  ['undelivered', 3],
  ['failed', 2],
  ['expired', 1],
  ['sent', 3],
  ['queued', 0.5],
  ['sending', 0.5],
];
const PROVIDER_MIX: [ProviderName, number][] = [
  ['every8d', 60],
  ['mitake', 30],
  ['twilio', 10],
];
const TYPE_MIX: [MessageType, number][] = [
  ['order_confirmation', 35],
  ['delivery_notification', 35],
  ['payment_reminder', 10],
  ['marketing', 15],
  ['general', 5],
];
const TEMPLATE_OF: Partial<Record<MessageType, string>> = {
  order_confirmation: 'order_confirmation',
  delivery_notification: 'delivery_notification',
  payment_reminder: 'payment_reminder',
};
const PRICE: Record<ProviderName, number> = { every8d: 0.7, mitake: 0.75, twilio: 2.1 };

export function buildDataset(total: number, now = Date.now(), seed = 42): Dataset {
  const rand = mulberry32(seed);
  const phoneOf = (i: number) => `+8869${String(10_000_000 + i).padStart(8, '0')}`;
  // A third of the traffic is marketing batches of 2 000–10 000 recipients; the rest arrives one by one.
  const batches: { id: string; start: number; size: number }[] = [];
  for (let placed = 0; placed < total / 3; ) {
    const size = Math.min(2_000 + Math.floor(rand() * 8_000), Math.ceil(total / 3) - placed);
    batches.push({ id: randomUUID(), start: now - 30 * DAY_MS + rand() * 29 * DAY_MS, size });
    placed += size;
  }
  const samples = { phone: phoneOf(7), batchId: batches[0]?.id ?? randomUUID(), templateCode: 'bench_winter_promo', orderId: 'ORD-BENCH-0000123' };

  const message = (i: number, createdAt: number, batch?: { id: string; index: number }): SmsMessage => {
    const type: MessageType = batch ? 'marketing' : pick(rand, TYPE_MIX);
    const status = pick(rand, STATUS_MIX);
    const provider = status === 'queued' || (status === 'failed' && rand() < 0.5) ? undefined : pick(rand, PROVIDER_MIX);
    const segments = rand() < 0.85 ? 1 : 2;
    const created = new Date(createdAt);
    const sent = provider && status !== 'sending' ? new Date(createdAt + 200 + rand() * 3_000) : undefined;
    const delivered = sent && status === 'delivered' ? new Date(sent.getTime() + 1_000 + rand() * 20_000) : undefined;
    const templateCode = batch ? samples.templateCode : TEMPLATE_OF[type];
    const customer = i === 0 ? 7 : Math.floor(rand() * CUSTOMERS);
    const phone = phoneOf(customer);
    const orderId =
      i === 0 ? samples.orderId : type === 'order_confirmation' || type === 'delivery_notification' ? `ORD-${String(i).padStart(9, '0')}` : undefined;
    return {
      _id: batch ? `${batch.id}-${batch.index}` : randomUUID(),
      phone_e164: phone,
      phone_national: `0${phone.slice(4)}`,
      phone_masked: `0${phone.slice(4, 7)}***${phone.slice(-3)}`,
      phone_kind: 'mobile',
      body: '【幸福氣】您的瓦斯訂單已確認，司機將於30分鐘內送達。',
      message_type: type,
      metadata: orderId ? { order_id: orderId } : {},
      encoding: 'UCS-2',
      segments,
      units: 30,
      status,
      ...(provider ? { provider } : {}),
      ...(sent ? { provider_message_id: randomUUID(), price_per_segment: PRICE[provider!], cost: segments * PRICE[provider!], sent_at: sent } : {}),
      ...(delivered ? { delivered_at: delivered } : {}),
      ...(['delivered', 'undelivered', 'failed', 'expired'].includes(status) ? { finished_at: delivered ?? new Date(createdAt + 60_000) } : {}),
      ...(status === 'failed' ? { error_code: 'all_providers_failed' } : {}),
      ...(batch ? { batch_id: batch.id } : {}),
      ...(templateCode ? { template_code: templateCode, template_version: 1, variant: batch ? (rand() < 0.5 ? 'A' : 'B') : 'default' } : {}),
      attempts: [],
      created_at: created,
      updated_at: created,
      events: [{ at: created, type: 'accepted', status: 'queued' }],
    };
  };

  function* pages(pageSize: number): Generator<SmsMessage[]> {
    // Single messages spread evenly over 30 days, batch members a few per second from their batch's start.
    const singles = total - batches.reduce((s, b) => s + b.size, 0);
    const times: { at: number; batch?: { id: string; index: number } }[] = [];
    for (let i = 0; i < singles; i++) times.push({ at: now - 30 * DAY_MS + (i / singles) * 30 * DAY_MS });
    for (const b of batches) for (let k = 0; k < b.size; k++) times.push({ at: b.start + k * 40, batch: { id: b.id, index: k } });
    times.sort((x, y) => x.at - y.at);
    for (let i = 0; i < times.length; i += pageSize) {
      yield times.slice(i, i + pageSize).map((t, j) => message(i + j, Math.floor(t.at), t.batch));
    }
  }
  return { pages, samples };
}
