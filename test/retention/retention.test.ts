import { randomUUID } from 'node:crypto';
import type { Db } from 'mongodb';
import { RetentionRepository } from '../../src/db/retention';
import { BatchRepository } from '../../src/db/batches';
import { parseTaiwanPhone } from '../../src/domain/phone';
import { MessageAggregates, MessageLists } from '../../src/db/messageAggregates';
import { MessageRepository } from '../../src/db/messages';
import { slotOf } from '../../src/domain/lookupKeys';
import { api, randomMobile, withDb } from '../helpers';

/** Messages as the worker process writes them; 2024-02 is a month no other test uses. */
const workerRepository = (db: Db) => new MessageRepository(db, { lists: new MessageLists(db, 'worker'), aggregates: new MessageAggregates(db) });

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 50_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Triggers the purge and waits for the audit entry of the run it started. */
async function runRetention(body: object = {}): Promise<any> {
  const since = new Date().toISOString();
  const triggered = await api('/api/v1/notifications/retention/run', { method: 'POST', body: JSON.stringify(body) });
  expect(triggered.status).toBe(202);
  return until('the retention run to be audited', async () => {
    const { body: log } = await api('/api/v1/audit-log?action=retention.purged&limit=5');
    return log.entries.find((e: any) => e.at > since);
  });
}

const doc = (db: Db, _id: string) => db.collection<{ _id: string }>('sms_lookups').findOne({ _id });

describe('retention', () => {
  it('keeps the recipients of a batch still going past retention, which its later pages are prepared from', async () => {
    await withDb(async (db) => {
      const batches = new BatchRepository(db);
      const id = randomUUID();
      const phone = (parseTaiwanPhone(randomMobile()) as { ok: true; phone: any }).phone;
      const row = {
        _id: id,
        name: 'paused for months',
        message_type: 'general' as const,
        message: '【幸福氣】測試',
        status: 'paused' as const,
        total: 1,
        rejected: 0,
        respect_quiet_hours: false,
        created_by: 'test',
        created_at: new Date(),
      };
      await batches.create(row, [{ index: 0, phone }]);
      expect(await batches.dropRecipients(id)).toBe(0);
      expect(await batches.page(id, 0, 10)).toHaveLength(1);
      await batches.transition(id, ['paused'], 'cancelled');
      expect(await batches.dropRecipients(id)).toBe(1);
      expect(await batches.page(id, 0, 10)).toEqual([]);
      await batches.remove(id);
    });
  });

  it('anonymises messages past retention, drops their lists, keeps their figures and leaves recent ones alone; a second run does nothing', async () => {
    const batch = randomUUID();
    const mobile = randomMobile();
    const e164 = `+886${mobile.slice(1)}`;
    const masked = `${mobile.slice(0, 4)}***${mobile.slice(-3)}`;
    const order = `ORD-RET-${randomUUID().slice(0, 8)}`;
    const base = {
      phone_e164: e164,
      phone_national: mobile,
      phone_masked: masked,
      phone_kind: 'mobile',
      message_type: 'order_confirmation',
      encoding: 'UCS-2',
      units: 20,
      segments: 1,
      attempts: [],
      events: [],
      updated_at: new Date(),
    };
    const t = (iso: string) => new Date(iso);
    const old = [
      {
        _id: `${batch}-0`,
        body: '您的訂單已確認 old-0',
        batch_id: batch,
        metadata: { order_id: order, customer_id: 'C-1' },
        status: 'delivered',
        provider: 'every8d',
        cost: 0.7,
        created_at: t('2024-02-10T03:00:00Z'),
        sent_at: t('2024-02-10T03:00:01Z'),
        delivered_at: t('2024-02-10T03:00:04Z'),
      },
      { _id: `${batch}-1`, body: '您的訂單已確認 old-1', batch_id: batch, metadata: {}, status: 'failed', created_at: t('2024-02-10T03:07:00Z') },
      {
        _id: `${batch}-2`,
        body: '您的訂單已確認 old-2',
        batch_id: batch,
        metadata: {},
        status: 'undelivered',
        provider: 'mitake',
        cost: 0.75,
        created_at: t('2024-02-11T22:00:00Z'),
        sent_at: t('2024-02-11T22:00:02Z'),
      },
    ];
    // A message of a batch paused since then: still to be sent, so it keeps its text and number.
    const waiting = { _id: randomUUID(), body: '暫停中的批次 waiting', metadata: {}, status: 'queued', created_at: t('2024-02-10T04:00:00Z') };
    const recentId = randomUUID();
    const recentAt = new Date(Date.now() - 3600_000);
    // An alert-window counter from two and a half days ago (its minute and one of its seconds).
    const minute = Math.floor((Date.now() - 2.5 * 24 * 3600_000) / 60_000);
    const outcomeIds = [`out|m|${minute}`, `out|s|${minute * 60 + 7}`];
    const recent = {
      _id: recentId,
      body: '司機即將抵達 recent',
      metadata: { order_id: order },
      status: 'delivered',
      provider: 'twilio',
      cost: 1,
      created_at: recentAt,
    };
    await withDb(async (db) => {
      await workerRepository(db).insertCounted([...old, recent, waiting].map((m) => ({ ...base, ...m })) as any);
      await db.collection('webhook_events').insertMany([
        {
          provider: 'every8d',
          received_at: t('2024-02-10T03:00:05Z'),
          method: 'GET',
          payload: [{ name: 'phone', value: mobile }],
          message_id: `${batch}-0`,
          disposition: 'signalled',
        },
        { provider: 'twilio', received_at: new Date(), method: 'POST', payload: [], message_id: recentId, disposition: 'signalled' },
      ]);
      await db.collection<{ _id: string }>('sms_rollups').insertMany(outcomeIds.map((_id) => ({ _id })));
      // Receipts held for sends that never came (another system's, on the shared Every8d account), old and new.
      await db.collection<any>('sms_early_receipts').insertMany([
        { _id: `every8d:${batch}-stale`, report: {}, held_at: new Date(Date.now() - 3 * 24 * 3600_000) },
        { _id: `every8d:${batch}-fresh`, report: {}, held_at: new Date() },
      ]);
      // Outcome cleaning resumes where the last run stopped; another test (or the daily schedule) may have run one
      // already, so this run starts just before this test's counters.
      await new RetentionRepository(db).setOutcomesCleaned(minute - 1);
    });
    const statsUrl = `/api/v1/notifications/stats?batch_id=${batch}&start_date=2024-02-10&end_date=2024-02-12`;
    const statsBefore = (await api(statsUrl)).body;
    expect(statsBefore.totals.messages).toBe(3);

    const entry = await runRetention({ from_date: '2024-02-01' });
    expect(entry.actor).toBe('system');
    expect(entry.after).toMatchObject({ retention_days: 180 });
    expect(entry.after.messages).toBeGreaterThanOrEqual(3);
    expect(entry.after.days).toBeGreaterThanOrEqual(2);
    expect(entry.after.webhook_events).toBeGreaterThanOrEqual(1);

    await withDb(async (db) => {
      const messages = db.collection<any>('sms_messages');
      for (const m of old) {
        const stored = await messages.findOne({ _id: m._id });
        expect(stored).toMatchObject({ body: '', phone_e164: masked, phone_national: masked, status: m.status, segments: 1 });
        expect(stored.purged_at).toBeInstanceOf(Date);
      }
      expect((await messages.findOne({ _id: `${batch}-0` })).metadata).toEqual({ order_id: order });
      expect(await messages.findOne({ _id: recentId })).toMatchObject({
        body: recent.body,
        phone_e164: e164,
        phone_national: mobile,
        metadata: { order_id: order },
      });
      expect((await messages.findOne({ _id: recentId })).purged_at).toBeUndefined();
      expect(await messages.findOne({ _id: waiting._id })).toMatchObject({ body: waiting.body, phone_e164: e164, status: 'queued' });
      const held = await db
        .collection<any>('sms_early_receipts')
        .find({ _id: { $in: [`every8d:${batch}-stale`, `every8d:${batch}-fresh`] } })
        .toArray();
      expect(held.map((r) => r._id)).toEqual([`every8d:${batch}-fresh`]);

      for (const id of [
        'worker/d|a|20240210',
        'worker/d|a|20240211',
        `worker/d|b:${batch}|20240210`,
        'worker/d|s:failed|20240210',
        'worker/d|v:every8d|20240210',
        'worker/d|m:order_confirmation|20240211',
      ]) {
        expect(await doc(db, id)).toBeNull();
      }
      for (const list of ['a', 's:delivered', `b:${batch}`, 'm:order_confirmation'])
        expect(await doc(db, `c|worker/${list}@${slotOf(old[0].created_at.getTime())}|0`)).toBeNull();
      expect(await doc(db, `c|worker/p:${e164}@202402|0`)).toBeNull();
      expect(await doc(db, `c|worker/r:${order}@202402|0`)).toBeNull();
      expect(await doc(db, `worker/d|a|${recentAt.toISOString().slice(0, 10).replace(/-/g, '')}`)).not.toBeNull();

      const receipts = db.collection('webhook_events');
      expect(await receipts.countDocuments({ message_id: `${batch}-0` })).toBe(0);
      expect(await receipts.countDocuments({ message_id: recentId })).toBe(1);
      for (const _id of outcomeIds) expect(await db.collection<{ _id: string }>('sms_rollups').findOne({ _id })).toBeNull();
    });

    // Figures stay; the recent message is still found by number and order.
    expect((await api(statsUrl)).body).toEqual(statsBefore);
    expect((await api(`/api/v1/notifications/sms-logs?phone=${mobile}`)).body.items.map((m: any) => m.message_id)).toEqual([recentId]);
    expect((await api(`/api/v1/notifications/sms-logs?order_id=${order}`)).body.items.map((m: any) => m.message_id)).toEqual([recentId]);

    const policy = (await api('/api/v1/notifications/retention')).body;
    expect(policy).toMatchObject({ retention_days: 180, schedule: { time: '03:30', timezone: 'Asia/Taipei' } });
    expect(policy.purged_before_date).toBe(policy.cutoff.slice(0, 10));
    expect(policy.last_run.messages).toBe(entry.after.messages);

    const again = await runRetention();
    expect(again.after).toMatchObject({ days: 0, messages: 0, lookup_docs: 0, keyed_lists: 0, webhook_events: 0 });
    expect(await withDb((db) => db.collection<any>('sms_messages').findOne({ _id: `${batch}-0` }))).toMatchObject({ body: '', phone_e164: masked });
  });

  it('is for admins only, and refuses a date that is not one or that would skip days', async () => {
    const viewer = (await api('/api/v1/api-keys', { method: 'POST', body: JSON.stringify({ name: 'retention viewer', role: 'viewer' }) })).body.key as string;
    expect((await api('/api/v1/notifications/retention/run', { method: 'POST', body: '{}', token: viewer })).status).toBe(403);
    expect((await api('/api/v1/notifications/retention', { token: viewer })).status).toBe(403);
    expect((await api('/api/v1/notifications/retention/run', { method: 'POST', body: JSON.stringify({ from_date: '2024-02-30' }) })).status).toBe(422);
    // Later than where the purge stands: the days between would never be purged.
    const skip = await api('/api/v1/notifications/retention/run', { method: 'POST', body: JSON.stringify({ from_date: '2999-01-01' }) });
    expect(skip.status).toBe(422);
    expect(skip.body.error.details).toEqual([
      { field: 'from_date', message: expect.stringMatching(/^must not be after \d{4}-\d{2}-\d{2}, where the purge stands/) },
    ]);
  });
});
