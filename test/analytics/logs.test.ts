import { randomUUID } from 'node:crypto';
import type { Db } from 'mongodb';
import { MessageAggregates, MessageLists } from '../../src/db/messageAggregates';
import { MessageRepository } from '../../src/db/messages';
import { api, randomMobile, sendSms, withDb } from '../helpers';

/** Messages as the worker process writes them (these tests touch only days and lists no other writer uses). */
const workerRepository = (db: Db) => new MessageRepository(db, { lists: new MessageLists(db, 'worker'), aggregates: new MessageAggregates(db) });

const viewerKey = async () => (await api('/api/v1/api-keys', { method: 'POST', body: JSON.stringify({ name: 'analyst', role: 'viewer' }) })).body.key as string;

describe('sms-logs', () => {
  it('pages newest first with a cursor, with no gaps or repeats while messages keep arriving', async () => {
    const phone = randomMobile();
    const send = async (n: number) => {
      for (let i = 0; i < n; i++) expect((await sendSms({ phone, message: `log ${i}`, message_type: 'order_confirmation' })).status).toBe(202);
    };
    await send(8);
    const seen: string[] = [];
    let cursor: string | null = null;
    let page = 0;
    do {
      const query = new URLSearchParams({ phone: `+886${phone.slice(1)}`, limit: '3', ...(cursor ? { cursor } : {}) });
      const { body } = await api(`/api/v1/notifications/sms-logs?${query}`);
      seen.push(...body.items.map((m: any) => m.message_id));
      cursor = body.next_cursor;
      if (++page === 1) await send(3); // arrives between pages: newer than the cursor, so never in this walk
    } while (cursor);
    expect(seen).toHaveLength(8);
    expect(new Set(seen).size).toBe(8);
    const all = (await api(`/api/v1/notifications/sms-logs?phone=${phone}&limit=50`)).body.items;
    expect(all).toHaveLength(11);
    expect(all.map((m: any) => m.created_at)).toEqual([...all.map((m: any) => m.created_at)].sort().reverse());
  });

  it('shows full numbers to admins and masked ones to viewers, in pages and in the CSV export', async () => {
    const phone = randomMobile();
    await sendSms({ phone, message: '=HYPERLINK("x")', message_type: 'general' });
    const admin = (await api(`/api/v1/notifications/sms-logs?phone=${phone}`)).body.items[0];
    expect(admin.phone).toBe(`+886${phone.slice(1)}`);
    const key = await viewerKey();
    const viewer = (await api(`/api/v1/notifications/sms-logs?phone=${phone}`, { token: key })).body.items[0];
    expect(viewer.phone).toBe(`${phone.slice(0, 4)}***${phone.slice(-3)}`);

    const csv = await fetch(`${process.env.TEST_API_URL}/api/v1/notifications/sms-logs/export.csv?phone=${phone}`, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(csv.headers.get('content-type')).toMatch(/text\/csv/);
    const lines = (await csv.text()).trim().split('\n');
    expect(lines[0]).toMatch(/^message_id,created_at,phone,/);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain(`${phone.slice(0, 4)}***${phone.slice(-3)}`);
    expect(lines[1]).not.toContain(phone.slice(4, 7) + phone.slice(7));
  });

  it('answers 422 for a bad filter or cursor', async () => {
    expect((await api('/api/v1/notifications/sms-logs?phone=12345')).body.error.details[0].field).toBe('phone');
    expect((await api('/api/v1/notifications/sms-logs?cursor=bm9wZQ')).status).toBe(422);
    expect((await api('/api/v1/notifications/sms-logs?status=lost')).status).toBe(422);
    expect((await api('/api/v1/notifications/sms-logs?limit=5000')).status).toBe(422);
  });
});

describe('stats', () => {
  it('equals hand-computed figures over a seeded data set, with Asia/Taipei day boundaries', async () => {
    const batch = randomUUID();
    const base = {
      phone_e164: '+886900000000',
      phone_national: '0900000000',
      phone_masked: '0900***000',
      phone_kind: 'mobile',
      body: 'x',
      metadata: {},
      encoding: 'UCS-2',
      units: 10,
      attempts: [],
      events: [],
      batch_id: batch,
      updated_at: new Date(),
    };
    const t = (iso: string) => new Date(iso);
    const docs = [
      // 2025-03-09 in Taipei (15:59 UTC is 23:59 local)
      {
        _id: `${batch}-0`,
        status: 'delivered',
        provider: 'every8d',
        message_type: 'payment_reminder',
        segments: 1,
        cost: 0.7,
        created_at: t('2025-03-09T15:59:00Z'),
        sent_at: t('2025-03-09T15:59:02Z'),
        delivered_at: t('2025-03-09T15:59:05Z'),
      },
      // 2025-03-10 in Taipei (16:00 UTC the day before is 00:00 local)
      {
        _id: `${batch}-1`,
        status: 'delivered',
        provider: 'every8d',
        message_type: 'payment_reminder',
        segments: 2,
        cost: 1.4,
        created_at: t('2025-03-09T16:00:00Z'),
        sent_at: t('2025-03-09T16:00:01Z'),
        delivered_at: t('2025-03-09T16:00:11Z'),
      },
      {
        _id: `${batch}-2`,
        status: 'undelivered',
        provider: 'mitake',
        message_type: 'payment_reminder',
        segments: 1,
        cost: 0.75,
        created_at: t('2025-03-10T03:00:00Z'),
        sent_at: t('2025-03-10T03:00:04Z'),
      },
      { _id: `${batch}-3`, status: 'failed', message_type: 'marketing', segments: 1, created_at: t('2025-03-10T04:00:00Z') },
      // outside the range: the 11th in Taipei
      {
        _id: `${batch}-4`,
        status: 'delivered',
        provider: 'every8d',
        message_type: 'payment_reminder',
        segments: 1,
        cost: 0.7,
        created_at: t('2025-03-10T16:00:00Z'),
      },
    ];
    // Stored through the product's import path, which counts and lists them as live traffic is.
    await withDb((db) => workerRepository(db).insertCounted(docs.map((d) => ({ ...base, ...d })) as any));

    const { status, body } = await api(`/api/v1/notifications/stats?batch_id=${batch}&start_date=2025-03-09&end_date=2025-03-10`);
    expect(status).toBe(200);
    expect(body.totals).toEqual({
      messages: 4,
      by_status: { delivered: 2, undelivered: 1, failed: 1 },
      delivery_rate: 0.5,
      failure_rate: 0.25,
      cost: 2.85,
      avg_cost: 0.7125,
      segments: 5,
    });
    expect(body.by_provider.every8d).toMatchObject({ messages: 2, cost: 2.1, avg_cost: 1.05, delivery_rate: 1 });
    expect(body.by_provider.mitake).toMatchObject({ messages: 1, delivery_rate: 0 });
    expect(body.by_message_type.marketing).toMatchObject({ messages: 1, failure_rate: 1 });
    expect(body.latency_ms).toEqual({ send: { p50: 2_000, p95: 4_000 }, delivery: { p50: 3_000, p95: 10_000 } });
    expect(body.daily.map((d: any) => [d.date, d.messages, d.cost])).toEqual([
      ['2025-03-09', 1, 0.7],
      ['2025-03-10', 3, 2.15],
    ]);

    expect((await api(`/api/v1/notifications/stats?batch_id=${batch}&start_date=2025-03-11&end_date=2025-03-10`)).status).toBe(422);
  });

  it('answers a range reaching far past now or before retention at once, and refuses from after to', async () => {
    // Unclamped, the first would walk every day to the year 9999 (millions of reads) and never answer in time.
    for (const query of ['to=9999-12-31T00:00:00Z', 'from=0001-01-01T00:00:00Z&status=expired&provider=twilio']) {
      expect((await api(`/api/v1/notifications/sms-logs?${query}`)).status).toBe(200);
      expect((await api(`/api/v1/notifications/sms-logs/export.csv?${query}`)).status).toBe(200);
    }
    const reversed = await api('/api/v1/notifications/sms-logs?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z');
    expect(reversed.status).toBe(422);
    expect(reversed.body.error.details[0].field).toBe('from');
  });

  it('refuses a date that is no calendar day with a 422 naming the field, not a 500 or an empty answer', async () => {
    for (const [query, field] of [
      ['end_date=2025-13-01', 'end_date'],
      ['start_date=2025-02-30&end_date=2025-03-10', 'start_date'],
    ]) {
      const { status, body } = await api(`/api/v1/notifications/stats?${query}`);
      expect(status).toBe(422);
      expect(body.error.details).toEqual([expect.objectContaining({ field, message: expect.stringContaining('calendar date') })]);
    }
  });
});
