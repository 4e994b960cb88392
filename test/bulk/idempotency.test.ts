import { randomUUID } from 'node:crypto';
import { BatchRepository, type SmsBatch } from '../../src/db/batches';
import { TemporalOutbox } from '../../src/db/temporalOutbox';
import { MessageRepository } from '../../src/db/messages';
import { createLogger } from '../../src/log';
import { OutboxRelay } from '../../src/services/outboxRelay';
import { Client, Connection } from '@temporalio/client';
import { defaultContentPolicy, loadConfig } from '../../src/config';
import { createRepositories } from '../../src/db';
import { BulkIntake } from '../../src/services/bulkIntake';
import { batchIdForKey } from '../../src/services/messageIdentity';
import { ContentPolicyService } from '../../src/services/contentPolicy';
import { OptOutLedger } from '../../src/services/optOuts';
import { PhoneBudget } from '../../src/services/phoneBudget';
import { BoundedTemporal } from '../../src/temporal/boundedCalls';
import { parseTaiwanPhone } from '../../src/domain/phone';
import { api, randomMobile, simulatorSends, withDb, withTemporal } from '../helpers';
import { allFinal, waitForBatch } from './helpers';

const sendKeyed = (key: string, body: Record<string, unknown>) =>
  api('/api/v1/notifications/send-bulk-sms', { method: 'POST', body: JSON.stringify(body), headers: { 'Idempotency-Key': key } });

const batchOf = (phones: string[]) => ({
  recipients: [...phones.map((phone) => ({ phone })), { phone: '12345' }],
  message: '【幸福氣】本週瓦斯優惠，歡迎來電訂購',
  message_type: 'general',
  batch_name: '重送測試',
});

/** Each number texted exactly once, at whichever provider took it. */
async function sendsPerPhone(phones: string[]): Promise<number[]> {
  return Promise.all(
    phones.map(async (phone) => {
      const perProvider = await Promise.all((['every8d', 'mitake', 'twilio'] as const).map((p) => simulatorSends(p, { phone })));
      return perProvider.reduce((n, sends) => n + sends.length, 0);
    }),
  );
}

describe('bulk sends with an Idempotency-Key', () => {
  it('answers a repeated key with the batch stored first, rejections included, and texts no one twice', async () => {
    const phones = [randomMobile(), randomMobile(), randomMobile()];
    const key = `bulk-${randomUUID()}`;
    const first = await sendKeyed(key, batchOf(phones));
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({ accepted: 3, rejected_count: 1, rejected: [expect.objectContaining({ index: 3 })] });

    const repeat = await sendKeyed(key, batchOf(phones));
    expect(repeat.status).toBe(202);
    expect(repeat.body).toMatchObject({ batch_id: first.body.batch_id, accepted: 3, rejected_count: 1, rejected_omitted: 0 });
    expect(repeat.body.rejected).toEqual(first.body.rejected);

    const other = await sendKeyed(key, { ...batchOf(phones), batch_name: '另一批' });
    expect(other.status).toBe(409);
    expect(other.body.error.code).toBe('idempotency_key_reused');

    await waitForBatch(first.body.batch_id, allFinal);
    expect(await sendsPerPhone(phones)).toEqual([1, 1, 1]);
  }, 90_000);

  it('stores one batch when the same keyed request arrives twice at once', async () => {
    const phones = [randomMobile(), randomMobile()];
    const key = `bulk-${randomUUID()}`;
    const answers = await Promise.all([sendKeyed(key, batchOf(phones)), sendKeyed(key, batchOf(phones))]);
    const stored = answers.filter((a) => a.status === 202);
    expect(stored.length).toBeGreaterThanOrEqual(1);
    expect(new Set(stored.map((a) => a.body.batch_id)).size).toBe(1);
    // The one that lost the race while the other was still storing says so, and a retry gets the batch.
    for (const lost of answers.filter((a) => a.status !== 202)) {
      expect(lost.status).toBe(409);
      expect(lost.body.error.code).toBe('idempotency_key_in_progress');
    }
    const retried = await sendKeyed(key, batchOf(phones));
    expect(retried.body.batch_id).toBe(stored[0].body.batch_id);

    await waitForBatch(stored[0].body.batch_id, allFinal);
    expect(await sendsPerPhone(phones)).toEqual([1, 1]);
  }, 90_000);

  it('keeps batches of different keys apart', async () => {
    const phones = [randomMobile()];
    const a = await sendKeyed(`bulk-${randomUUID()}`, batchOf(phones));
    const b = await sendKeyed(`bulk-${randomUUID()}`, batchOf([randomMobile()]));
    expect(a.status).toBe(202);
    expect(b.status).toBe(202);
    expect(a.body.batch_id).not.toBe(b.body.batch_id);
  });
});

describe('storing a batch', () => {
  const recipient = (index: number) => ({ index, phone: (parseTaiwanPhone(randomMobile()) as { ok: true; phone: any }).phone });
  const batchRow = (id: string, total: number): SmsBatch => ({
    _id: id,
    name: 'leftovers',
    message_type: 'general',
    message: '【幸福氣】測試',
    status: 'scheduled',
    total,
    rejected: 0,
    respect_quiet_hours: false,
    created_by: 'test',
    created_at: new Date(),
  });

  it('replaces recipients an attempt left behind without its batch row, and never removes a stored batch', async () => {
    await withDb(async (db) => {
      const batches = new BatchRepository(db);
      const id = randomUUID();
      // An attempt that died after its first chunk: no batch row.
      await db.collection('sms_batch_recipients').insertOne({ _id: `${id}:0`, batch_id: id, chunk: 0, recipients: [recipient(0)] } as never);

      const fresh = [recipient(0), recipient(1)];
      await batches.create(batchRow(id, 2), fresh);
      expect((await batches.page(id, 0, 10)).map((r) => r.phone.e164)).toEqual(fresh.map((r) => r.phone.e164));

      // Storing it again fails on the existing batch and leaves it whole.
      await expect(batches.create(batchRow(id, 1), [recipient(0)])).rejects.toMatchObject({ code: 11000 });
      expect((await batches.get(id))?.total).toBe(2);
      expect(await batches.page(id, 0, 10)).toHaveLength(2);
    });
  });

  it('keeps a keyed store’s claim alive while it writes: the relay never drops it as an orphan mid-store', async () => {
    await withDb(async (db) =>
      withTemporal(async (client) => {
        const batches = new BatchRepository(db);
        const outbox = new TemporalOutbox(db);
        const relay = new OutboxRelay({ outbox, messages: new MessageRepository(db), batches, client, log: createLogger('test', 'error'), graceMs: 0 });
        const id = randomUUID();
        const entryId = TemporalOutbox.startBatchId(id);
        // Claimed long ago, past the relay's orphan age: a large batch whose store is still going on.
        await outbox.add({ _id: entryId, kind: 'start_batch', batch_id: id, queued_at: new Date(0) });
        let seenMidStore: unknown = 'not run';
        await batches.create(batchRow(id, 1), [recipient(0)], async () => {
          await outbox.put({ _id: entryId, kind: 'start_batch', batch_id: id, queued_at: new Date() });
          await relay.runOnce();
          seenMidStore = await outbox.get(entryId);
        });
        expect(seenMidStore).toMatchObject({ _id: entryId, kind: 'start_batch' });
        await outbox.remove(entryId);
        await batches.remove(id);
      }),
    );
  });

  it('lets two keyed requests at the same moment meet before either takes a number’s budget', async () => {
    await withDb(async (db) =>
      withTemporal(async (client) => {
        const repos = await createRepositories(db, loadConfig({}));
        const oneADay = new PhoneBudget(repos.phoneCounters, { perHour: 1, perDay: 1, transactionalPerHour: 1, transactionalPerDay: 1 }, repos.alerts);
        const intake = new BulkIntake(
          repos.batches,
          repos.templates,
          new BoundedTemporal(client),
          repos.temporalOutbox,
          oneADay,
          new OptOutLedger(repos.optOuts, repos.audit),
          new ContentPolicyService(repos.settings, defaultContentPolicy(loadConfig({}))),
        );
        const { phone } = recipient(0);
        const request = {
          recipients: [{ phone: phone.national }],
          message: '【幸福氣】測試',
          messageType: 'general' as const,
          batchName: 'same moment',
          respectQuietHours: false,
          principalId: 'claim-test',
          idempotencyKey: `bulk-${randomUUID()}`,
        };
        const answers = await Promise.allSettled([intake.accept(request), intake.accept(request)]);
        // One stores the batch with the number in it; the other gets that batch or "still being stored" — never a
        // 422 refusing the number whose one send a day the first request had just taken.
        const stored = answers.filter((a) => a.status === 'fulfilled').map((a) => a.value);
        expect(stored.length).toBeGreaterThanOrEqual(1);
        expect(new Set(stored.map((a) => a.batch._id)).size).toBe(1);
        expect(stored[0]).toMatchObject({ batch: { total: 1 }, rejected: [] });
        for (const lost of answers.filter((a) => a.status === 'rejected')) expect(lost.reason).toMatchObject({ code: 'idempotency_key_in_progress' });
        await waitForBatch(stored[0].batch._id, allFinal);
      }),
    );
  }, 90_000);

  it('puts back a claim the relay dropped while the numbers were admitted, so a start that fails is still relayed', async () => {
    await withDb(async (db) => {
      const repos = await createRepositories(db, loadConfig({}));
      const key = `bulk-${randomUUID()}`;
      const entryId = TemporalOutbox.startBatchId(batchIdForKey('claim-test', key));
      const budget = new PhoneBudget(repos.phoneCounters, { perHour: 5, perDay: 5, transactionalPerHour: 5, transactionalPerDay: 5 }, repos.alerts);
      // Admitting a large batch outlasted the relay's orphan age: the relay dropped the claim meanwhile.
      const slowBudget = Object.assign(Object.create(budget), {
        admit: async (...args: Parameters<PhoneBudget['admit']>) => (await repos.temporalOutbox.remove(entryId), budget.admit(...args)),
      });
      // Temporal is unreachable, so the start is left to the relay, which needs the entry.
      const unreachable = new BoundedTemporal(new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) }), 500);
      const intake = new BulkIntake(
        repos.batches,
        repos.templates,
        unreachable,
        repos.temporalOutbox,
        slowBudget,
        new OptOutLedger(repos.optOuts, repos.audit),
        new ContentPolicyService(repos.settings, defaultContentPolicy(loadConfig({}))),
      );
      const { phone } = recipient(0);
      const request = {
        recipients: [{ phone: phone.national }],
        message: '【幸福氣】測試',
        messageType: 'general' as const,
        batchName: 'slow',
        respectQuietHours: false,
      };
      const { batch } = await intake.accept({ ...request, principalId: 'claim-test', idempotencyKey: key, scheduledAt: new Date(Date.now() + 86_400_000) });
      expect(await repos.temporalOutbox.get(entryId)).toMatchObject({ kind: 'start_batch', batch_id: batch._id });
      await repos.temporalOutbox.remove(entryId);
      await repos.batches.remove(batch._id);
    });
  });

  it('puts back an unkeyed batch’s start entry the relay dropped while its recipients were stored', async () => {
    await withDb(async (db) => {
      const repos = await createRepositories(db, loadConfig({}));
      let entryId = '';
      // Storing a large batch's recipients outlasted the relay's orphan age: the relay dropped its entry meanwhile.
      const slowStore = Object.assign(Object.create(repos.batches), {
        create: async (...args: Parameters<BatchRepository['create']>) => {
          entryId = TemporalOutbox.startBatchId(args[0]._id);
          await repos.temporalOutbox.remove(entryId);
          return repos.batches.create(...args);
        },
      });
      // Temporal is unreachable, so the start is left to the relay, which needs the entry.
      const unreachable = new BoundedTemporal(new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) }), 500);
      const intake = new BulkIntake(
        slowStore,
        repos.templates,
        unreachable,
        repos.temporalOutbox,
        new PhoneBudget(repos.phoneCounters, { perHour: 5, perDay: 5, transactionalPerHour: 5, transactionalPerDay: 5 }, repos.alerts),
        new OptOutLedger(repos.optOuts, repos.audit),
        new ContentPolicyService(repos.settings, defaultContentPolicy(loadConfig({}))),
      );
      const { batch } = await intake.accept({
        recipients: [{ phone: recipient(0).phone.national }],
        message: '【幸福氣】測試',
        messageType: 'general',
        batchName: 'slow unkeyed',
        respectQuietHours: false,
        principalId: 'claim-test',
        scheduledAt: new Date(Date.now() + 86_400_000),
      });
      expect(await repos.temporalOutbox.get(entryId)).toMatchObject({ kind: 'start_batch', batch_id: batch._id });
      await repos.temporalOutbox.remove(entryId);
      await repos.batches.remove(batch._id);
    });
  });

  it('answers a repeat whose first request is still storing with 409, not a refusal of numbers the first one took', async () => {
    await withDb(async (db) => {
      const repos = await createRepositories(db, loadConfig({}));
      // Never called: the request is answered before anything is stored or started.
      const temporal = new BoundedTemporal(new Client());
      const oneADay = new PhoneBudget(repos.phoneCounters, { perHour: 1, perDay: 1, transactionalPerHour: 1, transactionalPerDay: 1 }, repos.alerts);
      const intake = new BulkIntake(
        repos.batches,
        repos.templates,
        temporal,
        repos.temporalOutbox,
        oneADay,
        new OptOutLedger(repos.optOuts, repos.audit),
        new ContentPolicyService(repos.settings, defaultContentPolicy(loadConfig({}))),
      );
      const { phone } = recipient(0);
      const request = {
        recipients: [{ phone: phone.national }],
        message: '【幸福氣】測試',
        messageType: 'general' as const,
        batchName: 'claim',
        respectQuietHours: false,
      };
      const key = `bulk-${randomUUID()}`;
      const batchId = batchIdForKey('claim-test', key);
      // The first request with this key took the number's one send a day, claimed its batch and is still writing.
      await oneADay.admit([phone.e164], 'general');
      await repos.temporalOutbox.add({ _id: TemporalOutbox.startBatchId(batchId), kind: 'start_batch', batch_id: batchId, queued_at: new Date() });

      // Not a 422 ("no recipient can be sent to") for a batch that is going out: the repeat is told to wait.
      await expect(intake.accept({ ...request, principalId: 'claim-test', idempotencyKey: key })).rejects.toMatchObject({
        code: 'idempotency_key_in_progress',
      });
      await repos.temporalOutbox.remove(TemporalOutbox.startBatchId(batchId));
    });
  });
});
