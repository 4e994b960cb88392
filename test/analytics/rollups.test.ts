import { randomUUID } from 'node:crypto';
import type { Db } from 'mongodb';
import { CoalescingWriter } from '../../src/db/coalescingWriter';
import { MessageAggregates, MessageLists } from '../../src/db/messageAggregates';
import { MessageRepository, type NewMessage } from '../../src/db/messages';
import { MessageLog } from '../../src/db/messageLog';
import { expectedRollups, rebuildAggregates } from '../../src/db/rebuildAggregates';
import { rollupId } from '../../src/domain/rollups';
import type { DeliveryReport } from '../../src/domain/sms';
import { withDb, withoutZeros } from '../helpers';

/** Messages as the worker writes them; these tests use their own batch and template, which no other writer touches. */
const workerRepository = (db: Db) => new MessageRepository(db, { lists: new MessageLists(db, 'worker'), aggregates: new MessageAggregates(db) });

const newMessage = (id: string, batchId: string, template: string, variant: string): NewMessage => ({
  _id: id,
  phone_e164: '+886912000111',
  phone_national: '0912000111',
  phone_masked: '0912***111',
  phone_kind: 'mobile',
  body: '【幸福氣】測試',
  message_type: 'marketing',
  metadata: {},
  encoding: 'UCS-2',
  segments: 1,
  units: 7,
  batch_id: batchId,
  template_code: template,
  template_version: 1,
  variant,
});

const receipt = (providerMessageId: string, outcome: 'delivered' | 'undelivered'): DeliveryReport => ({
  provider: 'mitake',
  providerMessageId,
  outcome,
  providerStatus: outcome === 'delivered' ? '4' : '5',
  receivedAt: new Date().toISOString(),
});

/** The batch's rollup document equals a recount of the given messages as stored now. */
async function expectBatchRollupsRecounted(db: Db, repo: MessageRepository, batchId: string, ids: string[]): Promise<void> {
  const stored = await db.collection<{ _id: string; cells: unknown }>('sms_rollups').findOne({ _id: rollupId.batch(batchId) });
  const messages = await Promise.all(ids.map(async (id) => (await repo.findById(id))!));
  expect(withoutZeros(stored?.cells)).toEqual(expectedRollups(messages).get(rollupId.batch(batchId)));
}

/** A fresh batch of `count` stored messages of one template, written through the worker's repository. */
function withBatch(count: number, template: string, fn: (batch: { db: Db; repo: MessageRepository; batchId: string; ids: string[] }) => Promise<void>) {
  return withDb(async (db) => {
    const repo = workerRepository(db);
    const batchId = randomUUID();
    const ids = Array.from({ length: count }, (_, i) => `${batchId}-${i}`);
    await repo.insertManyIfAbsent(ids.map((id) => newMessage(id, batchId, template, 'A')));
    await fn({ db, repo, batchId, ids });
  });
}

describe('rollups', () => {
  it('equal a recount from the messages after concurrent lifecycles, retried steps and repeated receipts', async () => {
    await withDb(async (db) => {
      const repo = workerRepository(db);
      const batchId = randomUUID();
      const template = `rollup_${randomUUID().slice(0, 8).replace(/-/g, '')}`;
      const ids = Array.from({ length: 12 }, (_, i) => `${batchId}-${i}`);
      await repo.insertManyIfAbsent(ids.map((id, i) => newMessage(id, batchId, template, i % 2 ? 'A' : 'B')));
      // A retried page: nothing is stored or counted twice.
      await repo.insertManyIfAbsent(ids.map((id, i) => newMessage(id, batchId, template, i % 2 ? 'A' : 'B')));

      await Promise.all(
        ids.map(async (id, i) => {
          await repo.recordAttemptStarted(id, 'mitake', 1);
          if (i % 4 === 3) return repo.markFinal(id, 'failed', { code: 'all_providers_failed', message: 'no provider accepted' });
          const sent = { provider: 'mitake' as const, providerMessageId: `m-${id}`, pricePerSegment: 0.75 };
          await repo.markSent(id, sent);
          await repo.markSent(id, sent); // the activity retried after a lost reply
          if (i % 4 === 2) return undefined; // still waiting for its receipt
          const report = receipt(`m-${id}`, i % 4 === 1 ? 'undelivered' : 'delivered');
          await repo.applyDeliveryReport(id, report, true);
          await repo.applyDeliveryReport(id, report, true); // the provider repeated its receipt
          return undefined;
        }),
      );

      const messages = await Promise.all(ids.map((id) => repo.findById(id)));
      const expected = expectedRollups(messages.map((m) => m!));
      const stored = await db
        .collection<{ _id: string; cells: unknown }>('sms_rollups')
        .find({ _id: { $in: [rollupId.batch(batchId), rollupId.template(template)] } })
        .toArray();
      const cellsOf = (id: string) => stored.find((d) => d._id === id)?.cells;
      expect(withoutZeros(cellsOf(rollupId.batch(batchId)))).toEqual(expected.get(rollupId.batch(batchId)));
      expect(withoutZeros(cellsOf(rollupId.template(template)))).toEqual(expected.get(rollupId.template(template)));
      const byStatus = Object.values(cellsOf(rollupId.template(template)) as Record<string, { n: Record<string, number> }>).reduce(
        (acc, cell) => {
          for (const [s, n] of Object.entries(cell.n)) acc[s] = (acc[s] ?? 0) + n;
          return acc;
        },
        {} as Record<string, number>,
      );
      expect(Object.fromEntries(Object.entries(byStatus).filter(([, n]) => n))).toEqual({ delivered: 3, undelivered: 3, sent: 3, failed: 3 });
    });
  });

  it('counts a batch page once when its first try failed while counting, with no message below zero later', async () => {
    await withDb(async (db) => {
      // The rollup store fails this page's first try: what a worker killed (or a store lost) while counting leaves.
      const failingOnce = new (class extends MessageAggregates {
        private failed = false;
        override async count(m: Parameters<MessageAggregates['count']>[0]): Promise<void> {
          if (!this.failed) {
            this.failed = true;
            throw new Error('rollup store unavailable');
          }
          return super.count(m);
        }
      })(db);
      const repo = new MessageRepository(db, { lists: new MessageLists(db, 'worker'), aggregates: failingOnce });
      const batchId = randomUUID();
      const ids = Array.from({ length: 3 }, (_, i) => `${batchId}-${i}`);
      const page = () => repo.insertManyIfAbsent(ids.map((id) => newMessage(id, batchId, 'page_crash_tpl', 'A')));
      await expect(page()).rejects.toThrow('rollup store unavailable');
      await page(); // the activity's retry
      for (const id of ids) {
        await repo.recordAttemptStarted(id, 'mitake', 1);
        await repo.markSent(id, { provider: 'mitake', providerMessageId: `m-${id}`, pricePerSegment: 0.75 });
      }
      await expectBatchRollupsRecounted(db, repo, batchId, ids);
    });
  });

  it('counts a change whose counters a crash cut off when the retried step comes back', async () => {
    await withDb(async (db) => {
      const repo = workerRepository(db);
      // The same writes with no counters at all: what a worker killed between the two writes leaves behind.
      const crashed = new MessageRepository(db);
      const batchId = randomUUID();
      const [id] = [`${batchId}-0`];
      await repo.insertManyIfAbsent([newMessage(id, batchId, 'crash_tpl', 'A')]);
      await repo.recordAttemptStarted(id, 'mitake', 1);
      await repo.markSent(id, { provider: 'mitake', providerMessageId: `m-${id}`, pricePerSegment: 0.75 });
      // The last step of the message: its retry finds the change applied, so only the repair can count it.
      await crashed.applyDeliveryReport(id, receipt(`m-${id}`, 'delivered'), true);
      expect(await repo.applyDeliveryReport(id, receipt(`m-${id}`, 'delivered'), true)).toBe(false);
      await expectBatchRollupsRecounted(db, repo, batchId, [id]);
    });
  });

  it("moves a message that expired waiting for its receipt to the late receipt's outcome, once, as a recount would", async () => {
    await withBatch(2, 'late_tpl', async ({ db, repo, batchId, ids }) => {
      for (const id of ids) {
        await repo.recordAttemptStarted(id, 'mitake', 1);
        await repo.markSent(id, { provider: 'mitake', providerMessageId: `m-${id}`, pricePerSegment: 0.75 });
        await repo.markFinal(id, 'expired', { code: 'receipt_timeout', message: 'no delivery receipt before the deadline' });
      }
      const expiredAt = (await repo.findById(ids[0]))!.finished_at;
      expect(await repo.applyDeliveryReport(ids[0], receipt('m-another-send', 'delivered'), true)).toBe(false);
      expect(await repo.applyDeliveryReport(ids[0], receipt(`m-${ids[0]}`, 'delivered'), true)).toBe(true);
      expect(await repo.applyDeliveryReport(ids[0], receipt(`m-${ids[0]}`, 'delivered'), true)).toBe(false); // repeated
      const late = await repo.findById(ids[0]);
      expect(late).toMatchObject({ status: 'delivered', provider_status: '4', finished_at: expiredAt });
      expect(late!.error_code).toBeUndefined();
      expect(late!.events.map((e) => e.type).slice(-2)).toEqual(['expired', 'late_receipt']);
      expect((await repo.findById(ids[1]))!.status).toBe('expired');
      await expectBatchRollupsRecounted(db, repo, batchId, ids);
    });
  });

  it('cancels a message after a provider call that did not get it through, never while a call is open, counted as a recount would', async () => {
    // The workflow ends a message cancelled when a cancel came during a call that then failed (SendGate).
    await withBatch(1, 'cancel_after_call_tpl', async ({ db, repo, batchId, ids: [id] }) => {
      await repo.recordAttemptStarted(id, 'every8d', 1);
      expect(await repo.markCancelled(id)).toBe(false); // its call is open: the provider may be taking it
      expect((await repo.findById(id))!.status).toBe('sending');
      await repo.recordAttemptFailed(id, 'every8d', { code: '-2', message: 'refused', ambiguous: false });
      expect(await repo.markCancelled(id)).toBe(true);
      expect((await repo.findById(id))!.status).toBe('cancelled');
      await expectBatchRollupsRecounted(db, repo, batchId, [id]);
    });
  });

  it('cancels a message whose worker died mid-call only for its workflow, which knows the call is over: flagged, counted as a recount would', async () => {
    // The worker died during the call, and the cancel came while the retry waited: Temporal dropped the retry.
    await withBatch(1, 'cancel_interrupted_tpl', async ({ db, repo, batchId, ids: [id] }) => {
      await repo.recordAttemptStarted(id, 'every8d', 1);
      expect(await repo.markCancelled(id)).toBe(false); // anyone else: the call may still be running
      expect(await repo.markCancelled(id, { openCallEnded: true })).toBe(true);
      const cancelled = (await repo.findById(id))!;
      expect(cancelled).toMatchObject({ status: 'cancelled', attempts: [{ provider: 'every8d', attempt: 1, error_code: 'interrupted', ambiguous: true }] });
      expect(cancelled.open_attempt).toBeUndefined();
      // The provider may have texted it: on record, as a resend after such an attempt would be.
      expect(cancelled.events.slice(-2).map((e) => e.type)).toEqual(['possible_duplicate', 'cancelled']);
      await expectBatchRollupsRecounted(db, repo, batchId, [id]);
    });
  });

  it('flags no possible duplicate for an attempt whose acceptance is on record but whose worker was lost before reporting it', async () => {
    await withBatch(1, 'lost_report_tpl', async ({ repo, ids: [id] }) => {
      await repo.recordAttemptStarted(id, 'every8d', 1);
      await repo.markSent(id, { provider: 'every8d', providerMessageId: `e-${id}`, pricePerSegment: 0.75 });
      // The workflow learns only that the attempt timed out, and records it as it would any lost call.
      await repo.recordAttemptFailed(id, 'every8d', { code: 'activity_timeout', message: 'provider activity did not finish', ambiguous: true });
      const sent = (await repo.findById(id))!;
      expect(sent.status).toBe('sent');
      expect(sent.events.map((e) => e.type)).not.toContain('possible_duplicate');
    });
  });

  describe('count a cancel once when the batch and the sender cancel the same unstarted message at the same time', () => {
    // The batch's cancelUnstarted and the message's own workflow (started by the sender's cancel) both mark it.
    const expectCancelledOnce = async ({ db, repo, batchId, ids }: { db: Db; repo: MessageRepository; batchId: string; ids: string[] }) => {
      for (const id of ids) {
        const cancelled = await repo.findById(id);
        expect(cancelled!.status).toBe('cancelled');
        expect(cancelled!.events.filter((e) => e.type === 'cancelled')).toHaveLength(1);
      }
      await expectBatchRollupsRecounted(db, repo, batchId, ids);
    };

    it('in one worker process', async () => {
      // Many at once: FerretDB lets two updates of one document both see the old state only now and then.
      await withBatch(20, 'cancel_tpl', async (batch) => {
        await Promise.all(batch.ids.flatMap((id) => [batch.repo.markCancelled(id), batch.repo.markCancelled(id)]));
        await expectCancelledOnce(batch);
      });
    });

    it('in two worker processes: the one that decided first but wrote second takes its counts back', async () => {
      await withBatch(1, 'cancel_tpl', async (batch) => {
        const other = workerRepository(batch.db);
        // Between deciding and writing, this process's cancel lets the other process cancel the message first. Its
        // conditional write is MongoDB's; forced on here (the embedded store leaves it off: FerretDB would scan).
        const interleaved = new MessageRepository(batch.db, {
          lists: new MessageLists(batch.db, 'worker'),
          aggregates: new MessageAggregates(batch.db),
          conditionalWrites: true,
          statusListener: { beforeStatusChange: async () => void (await other.markCancelled(batch.ids[0])) },
        });
        await interleaved.markCancelled(batch.ids[0]);
        await expectCancelledOnce(batch);
      });
    });
  });

  it('rebuilds to exactly what incremental counting kept, and the log still finds every message', async () => {
    await withDb(async (shared) => {
      // A database of its own: the rebuild rewrites every rollup and list, which the running worker must not see.
      const db = shared.client.db(`rebuild_${randomUUID().slice(0, 8)}`);
      try {
        const repo = workerRepository(db);
        const batchId = randomUUID();
        const ids = Array.from({ length: 6 }, (_, i) => `${batchId}-${i}`);
        await repo.insertManyIfAbsent(ids.map((id, i) => newMessage(id, batchId, 'rebuild_tpl', i % 2 ? 'A' : 'B')));
        for (const [i, id] of ids.entries()) {
          await repo.recordAttemptStarted(id, 'mitake', 1);
          await repo.markSent(id, { provider: 'mitake', providerMessageId: `m-${id}`, pricePerSegment: 0.75 });
          if (i % 3) await repo.applyDeliveryReport(id, receipt(`m-${id}`, i % 3 === 1 ? 'delivered' : 'undelivered'), true);
        }
        const rollups = db.collection<{ _id: string; cells: unknown }>('sms_rollups');
        const snapshot = async () =>
          Object.fromEntries((await rollups.find({}).toArray()).filter((d) => !d._id.startsWith('out|')).map((d) => [d._id, withoutZeros(d.cells)]));
        const incremental = await snapshot();
        expect(await rebuildAggregates(db)).toBe(6);
        expect(await snapshot()).toEqual(incremental);
        const log = new MessageLog(db, repo, 400 * 24 * 3600_000);
        expect((await log.page({ batchId }, 10)).items.map((m) => m._id).sort()).toEqual([...ids].sort());
        expect((await log.page({ batchId, status: 'undelivered' }, 10)).items.map((m) => m._id).sort()).toEqual([ids[2], ids[5]].sort());
      } finally {
        await db.dropDatabase();
      }
    });
  });

  it('keeps every concurrent increment on one document (8 writers × 100)', async () => {
    await withDb(async (db) => {
      const col = db.collection<{ _id: string; n?: number }>('sms_rollups');
      const writer = new CoalescingWriter(col);
      const id = `test|concurrency|${randomUUID()}`;
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          for (let i = 0; i < 100; i++) await Promise.all([writer.apply(id, { inc: { n: 1 } }), new Promise((r) => setImmediate(r))]);
        }),
      );
      expect((await col.findOne({ _id: id }))?.n).toBe(800);
      await col.deleteOne({ _id: id });
    });
  });
});
