import { bulkWorkflowId } from '../../src/workflows/bulkSms';
import { randomUUID } from 'node:crypto';
import { BatchRepository } from '../../src/db/batches';
import { parseTaiwanPhone, type TaiwanPhone } from '../../src/domain/phone';
import { api, randomMobile, simulatorSends, withDb, withMitakeAtOnePerSecond, withTemporal } from '../helpers';
import { allFinal, getBatch, pausedBatch, sendBulk, taipeiTime, waitForBatch } from './helpers';

/** The worker's `luckygas_sms_status_total{status="cancelled"}` (its metrics endpoint). */
async function workerCancelsCounted(): Promise<number> {
  const text = await (await fetch(process.env.TEST_WORKER_METRICS_URL!)).text();
  return Number(/^luckygas_sms_status_total\{provider="none",status="cancelled"\} (\d+)$/m.exec(text)?.[1] ?? 0);
}

describe('bulk batches', () => {
  it('sends a few hundred recipients once each, reports bad rows and in-batch duplicates, and keeps histories small', async () => {
    const phones = Array.from({ length: 300 }, () => randomMobile());
    const recipients: unknown[] = phones.map((phone) => ({ phone, template_data: { order_number: `A${phone.slice(-4)}`, amount: 880 } }));
    recipients.push({ phone: '12345', template_data: {} }); // index 300: bad phone
    recipients.push({ phone: phones[7], template_data: { order_number: 'dup', amount: 1 } }); // 301: duplicate
    recipients.push({ phone: randomMobile(), template_data: { order_number: 'B1' } }); // 302: missing data
    recipients.push({ phone: randomMobile(), extra: true }); // 303: unknown field

    const { status, body } = await sendBulk({ recipients, template_code: 'payment_reminder', message_type: 'payment_reminder', batch_name: '十一月付款提醒' });
    expect(status).toBe(202);
    expect(body.accepted).toBe(300);
    expect(body.rejected.map((r: any) => r.index)).toEqual([300, 301, 302, 303]);
    expect(body.rejected[1]).toMatchObject({ phone: `${phones[7].slice(0, 4)}***${phones[7].slice(-3)}`, reason: 'duplicate of recipient 7: sent once' });
    expect(body.rejected[2].reason).toBe('template_data missing amount');

    const batch = await waitForBatch(body.batch_id, allFinal, 170_000);
    expect(batch.counts).toEqual({ delivered: 300 });
    const sends = await Promise.all([0, 7, 150, 299].map((i) => simulatorSends('every8d', { phone: phones[i] })));
    expect(sends.map((s) => s.length)).toEqual([1, 1, 1, 1]);
    expect(sends[0][0].body).toBe(`【幸福氣】提醒您，訂單 A${phones[0].slice(-4)} 尚有 NT$880 待付款`);

    await withTemporal(async (client) => {
      const runs: { status: string; historyLength: number }[] = [];
      for await (const wf of client.workflow.list({ query: `WorkflowId = "${bulkWorkflowId(body.batch_id)}"` }))
        runs.push({ status: wf.status.name, historyLength: wf.historyLength });
      expect(runs.length).toBeGreaterThanOrEqual(6); // 300 recipients / pages of 50
      expect(runs.filter((r) => r.status === 'CONTINUED_AS_NEW').length).toBe(runs.length - 1);
      expect(Math.max(...runs.map((r) => r.historyLength))).toBeLessThan(1_000);
      let children = 0;
      for await (const _ of client.workflow.list({ query: `SmsBatchId = "${body.batch_id}" AND WorkflowType = "sendSmsWorkflow"` })) children++;
      expect(children).toBe(300);
    });
  }, 180_000);

  it('honours scheduled_at and can be cancelled before it starts', async () => {
    const phones = [randomMobile(), randomMobile()];
    const at = new Date(Date.now() + 2_500).toISOString();
    const scheduled = (
      await sendBulk({
        recipients: phones.map((phone) => ({ phone })),
        message: '【幸福氣】週末優惠',
        message_type: 'general',
        batch_name: 'later',
        scheduled_at: at,
      })
    ).body;
    const cancelled = (
      await sendBulk({ recipients: [{ phone: randomMobile() }], message: '【幸福氣】取消', message_type: 'general', batch_name: 'never', scheduled_at: at })
    ).body;
    expect((await getBatch(scheduled.batch_id)).status).toBe('scheduled');
    expect((await api(`/api/v1/notifications/batches/${cancelled.batch_id}/cancel`, { method: 'POST' })).status).toBe(202);
    expect((await waitForBatch(cancelled.batch_id, (b) => b.status === 'cancelled')).counts).toEqual({});

    const done = await waitForBatch(scheduled.batch_id, allFinal);
    expect(Date.parse(done.started_at)).toBeGreaterThanOrEqual(Date.parse(at));
    expect(await simulatorSends('every8d', { phone: phones[0] })).toHaveLength(1);
  });

  it('pauses, resumes and cancels a running batch', async () => {
    const { batchId, paused } = await pausedBatch(30, 'hello', 'pausable');
    await new Promise((r) => setTimeout(r, 1_000));
    expect((await getBatch(batchId)).progress).toMatchObject({ status: 'paused', started: 0 });
    expect(paused.counts).toEqual({ queued: 30 }); // prepared, none sent

    await api(`/api/v1/notifications/batches/${batchId}/resume`, { method: 'POST' });
    const done = await waitForBatch(batchId, allFinal);
    expect(done.counts).toEqual({ delivered: 30 });
    // A resume is not a start: the batch keeps the time it first ran.
    expect(paused.started_at).not.toBeNull();
    expect(done.started_at).toBe(paused.started_at);
    expect((await api(`/api/v1/notifications/batches/${batchId}/cancel`, { method: 'POST' })).status).toBe(409);
  });

  it('fails only the messages a template edited mid-batch can no longer give a text, and finishes the batch', async () => {
    const code = `edited_${randomUUID().slice(0, 8)}`;
    const template = await api('/api/v1/notifications/sms-templates', {
      method: 'POST',
      body: JSON.stringify({ code, name: '中途修改', content: '【幸福氣】{name}您好' }),
    });
    expect(template.status).toBe(201);
    // Pages of 50: a paused batch has prepared its first two pages (100 messages), not the last 10.
    const phones = Array.from({ length: 110 }, () => randomMobile());
    const recipients = phones.map((phone, i) => ({ phone, template_data: { name: `客戶${i}` } }));
    const { body } = await sendBulk({
      recipients,
      template_code: code,
      batch_name: 'template edited',
      scheduled_at: new Date(Date.now() + 1_500).toISOString(),
    });
    await api(`/api/v1/notifications/batches/${body.batch_id}/pause`, { method: 'POST' });
    await waitForBatch(body.batch_id, (b) => b.status === 'paused' && b.counts?.queued === 100);

    // Now it needs data none of the recipients has.
    const edited = await api(`/api/v1/notifications/sms-templates/${template.body.id}`, {
      method: 'PUT',
      body: JSON.stringify({ content: '【幸福氣】{name}您好，{branch}' }),
    });
    expect(edited.status).toBe(200);
    await api(`/api/v1/notifications/batches/${body.batch_id}/resume`, { method: 'POST' });
    const done = await waitForBatch(body.batch_id, allFinal, 45_000);
    expect(done.counts).toEqual({ delivered: 100, failed: 10 });

    expect((await api(`/api/v1/notifications/sms-status/${body.batch_id}-105`)).body).toMatchObject({ status: 'failed', error_code: 'template_data_missing' });
    expect(await simulatorSends('every8d', { phone: phones[105] })).toEqual([]);
    expect((await simulatorSends('every8d', { phone: phones[99] })).map((s) => s.body)).toEqual(['【幸福氣】客戶99您好']);
  });

  it('cancels a paused batch: the messages it prepared and never started end cancelled, and none is sent', async () => {
    const { batchId, phones } = await pausedBatch(30, '【幸福氣】暫停後取消', 'cancel paused');
    const cancelsCounted = await workerCancelsCounted();
    expect((await api(`/api/v1/notifications/batches/${batchId}/cancel`, { method: 'POST' })).status).toBe(202);
    const cancelled = await waitForBatch(batchId, (b) => b.status === 'cancelled' && b.counts.cancelled === 30);
    expect(cancelled.counts).toEqual({ cancelled: 30 });
    expect((await workerCancelsCounted()) - cancelsCounted).toBe(30); // in luckygas_sms_status_total too, once each
    expect((await api(`/api/v1/notifications/sms-status/${batchId}-7`)).body).toMatchObject({ status: 'cancelled' });
    expect(await simulatorSends('every8d', { phone: phones[7] })).toEqual([]);
  });

  it('cancels one message of a paused batch that it has not started: never sent, and the batch goes on without it', async () => {
    const { batchId, phones } = await pausedBatch(10, '【幸福氣】單則取消', 'cancel one');
    const cancelled = await api(`/api/v1/notifications/sms/${batchId}-3/cancel`, { method: 'POST' });
    expect({ status: cancelled.status, message: cancelled.body.status }).toEqual({ status: 200, message: 'cancelled' });

    await api(`/api/v1/notifications/batches/${batchId}/resume`, { method: 'POST' });
    const done = await waitForBatch(batchId, (b) => b.status === 'completed' && (b.counts.delivered ?? 0) === 9);
    expect(done.counts).toEqual({ delivered: 9, cancelled: 1 });
    expect(await simulatorSends('every8d', { phone: phones[3] })).toEqual([]);
  });

  it('cancels a running batch: no new children start, the ones already sent keep their receipts', async () => {
    const phones = Array.from({ length: 120 }, () => randomMobile());
    const { body } = await sendBulk({ recipients: phones.map((phone) => ({ phone })), message: '【幸福氣】取消測試', batch_name: 'cancel mid-way' });
    await waitForBatch(body.batch_id, (b) => (b.counts?.delivered ?? 0) >= 10);
    expect((await api(`/api/v1/notifications/batches/${body.batch_id}/cancel`, { method: 'POST' })).status).toBe(202);
    const cancelled = await waitForBatch(body.batch_id, (b) => b.status === 'cancelled');
    await new Promise((r) => setTimeout(r, 2_000));
    const after = await getBatch(body.batch_id);
    const sent = (after.counts.delivered ?? 0) + (after.counts.sent ?? 0);
    expect(sent).toBeGreaterThanOrEqual(10);
    expect(sent).toBeLessThan(120);
    expect(after.counts.delivered ?? 0).toBeGreaterThanOrEqual(cancelled.counts.delivered ?? 0);
  });

  it('cancels a running batch: the children still waiting behind the provider rate limit end cancelled, never texted', async () => {
    // Mitake first and at 1 message/s: most of the window's children wait in its task queue.
    await withMitakeAtOnePerSecond(async () => {
      const phones = Array.from({ length: 30 }, () => randomMobile());
      const { body } = await sendBulk({ recipients: phones.map((phone) => ({ phone })), message: '【幸福氣】排隊中取消', batch_name: 'cancel queued' });
      await waitForBatch(body.batch_id, (b) => (b.progress?.started ?? 0) >= 20); // the test stack's window
      expect((await api(`/api/v1/notifications/batches/${body.batch_id}/cancel`, { method: 'POST' })).status).toBe(202);
      const ended = await waitForBatch(body.batch_id, (b) => b.status === 'cancelled' && (b.counts.cancelled ?? 0) + (b.counts.delivered ?? 0) === 30);
      const texted = (await Promise.all(phones.map((phone) => simulatorSends('mitake', { phone })))).filter((sends) => sends.length > 0).length;
      // Every message ended: texted once and delivered, or cancelled and never texted, started or not.
      expect(ended.counts.delivered ?? 0).toBe(texted);
      // Without taking back the started ones, every child started before the cancel was texted.
      expect(texted).toBeLessThan(ended.progress.started);
    });
  });

  it('holds a marketing batch through quiet hours but never a transactional one', async () => {
    const put = (windows: unknown[]) => api('/api/v1/notifications/settings/quiet-hours', { method: 'PUT', body: JSON.stringify({ windows }) });
    expect((await put([{ start: taipeiTime(-60_000), end: taipeiTime(4_000) }])).status).toBe(200);
    try {
      const marketing = (
        await sendBulk({ recipients: [{ phone: randomMobile() }], message: '【幸福氣】冬季優惠', message_type: 'marketing', batch_name: 'promo' })
      ).body;
      const notice = (
        await sendBulk({
          recipients: [{ phone: randomMobile() }],
          message: '【幸福氣】司機已出發',
          message_type: 'delivery_notification',
          batch_name: 'notices',
          respect_quiet_hours: true,
        })
      ).body;
      expect((await waitForBatch(notice.batch_id, allFinal, 15_000)).counts).toEqual({ delivered: 1 });
      const held = await getBatch(marketing.batch_id);
      expect(held.progress).toMatchObject({ status: 'waiting_for_allowed_hours', started: 0 });
      expect(held.counts).toEqual({ queued: 1 }); // prepared, not sent
      const sent = await waitForBatch(marketing.batch_id, allFinal, 20_000);
      expect(Date.parse(sent.finished_at)).toBeGreaterThan(Date.parse(held.progress.resumesAt) - 1_000);
    } finally {
      await put([]);
    }
  });

  it('answers 413 past 100 000 recipients and 422 for a batch nobody can receive', async () => {
    const tooMany = await sendBulk({ recipients: Array.from({ length: 100_001 }, () => ({ phone: '0912345678' })), message: 'x', batch_name: 'huge' });
    expect(tooMany.status).toBe(413);
    const none = await sendBulk({ recipients: [{ phone: 'nope' }], message: 'x', batch_name: 'empty' });
    expect(none.status).toBe(422);
    expect(none.body.error.details[0]).toMatchObject({ field: 'recipients.0' });
  });

  it('cancels a batch whose start is still pending (left to the outbox relay): started with the cancel, nothing sent', async () => {
    // Stored as intake stores it when Temporal does not take the start in time: the batch and its recipients, no workflow.
    const batchId = randomUUID();
    const phone = randomMobile();
    await withDb((db) =>
      new BatchRepository(db).create(
        {
          _id: batchId,
          name: 'start pending',
          message_type: 'general',
          message: '【幸福氣】延遲啟動',
          status: 'scheduled',
          total: 1,
          rejected: 0,
          respect_quiet_hours: false,
          created_by: 'test',
          created_at: new Date(),
        },
        [{ index: 0, phone: (parseTaiwanPhone(phone) as { ok: true; phone: TaiwanPhone }).phone }],
      ),
    );
    expect((await api(`/api/v1/notifications/batches/${batchId}/cancel`, { method: 'POST' })).status).toBe(202);
    expect((await waitForBatch(batchId, (b) => b.status === 'cancelled')).progress).toMatchObject({ status: 'cancelled', started: 0 });
    expect(await simulatorSends('every8d', { phone })).toEqual([]);
  });

  it('reports a row whose phone is no text as a rejected row, for marketing too, never a 500', async () => {
    for (const message_type of ['general', 'marketing']) {
      const { status, body } = await sendBulk({
        recipients: [{ phone: { toString: 1 } }, { phone: 912345678 }, null, { phone: randomMobile() }],
        message: '【幸福氣】格式測試',
        message_type,
        batch_name: 'odd rows',
        // Far ahead: the row that is accepted is never sent while this file runs.
        scheduled_at: new Date(Date.now() + 86_400_000).toISOString(),
      });
      expect({ message_type, status }).toEqual({ message_type, status: 202 });
      expect(body).toMatchObject({ accepted: 1, rejected_count: 3 });
      expect(body.rejected.map((r: any) => r.index)).toEqual([0, 1, 2]);
      expect((await api(`/api/v1/notifications/batches/${body.batch_id}/cancel`, { method: 'POST' })).status).toBe(202);
    }
  });
});
