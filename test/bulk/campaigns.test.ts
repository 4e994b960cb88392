import { api, randomMobile, simulatorSends, textsTo, until, withTemporal } from '../helpers';
import { allFinal, getBatch, taipeiTime, waitForBatch } from './helpers';

const campaigns = '/api/v1/notifications/campaigns';

const runsOf = async (campaignId: string) =>
  (await api('/api/v1/notifications/batches?limit=200')).body.batches.filter((b: any) => b.campaign_id === campaignId);

/** A marketing campaign of one fresh number, triggered now inside a quiet window: its run's batch waits for allowed hours. */
async function waitingRun(name: string): Promise<{ id: string; batchId: string; phone: string }> {
  const phone = randomMobile();
  const created = await api(campaigns, {
    method: 'POST',
    body: JSON.stringify({ name, cron: '0 10 1 * *', message: `【幸福氣】${name}`, message_type: 'marketing', recipients: [{ phone }] }),
  });
  expect(created.status).toBe(201);
  const id = created.body.campaign_id;
  expect((await api(`${campaigns}/${id}/trigger`, { method: 'POST' })).status).toBe(200);
  const [run] = await until(
    () => runsOf(id),
    (runs) => runs.length === 1,
    'the run stored its batch',
  );
  await waitForBatch(run.batch_id, (b) => b.progress?.status === 'waiting_for_allowed_hours', 10_000);
  return { id, batchId: run.batch_id, phone };
}

describe('recurring campaigns (Temporal Schedules in Asia/Taipei)', () => {
  it('schedules runs, and each run (here: triggered now) becomes a batch of its own', async () => {
    const phones = [randomMobile(), randomMobile()];
    const created = await api(campaigns, {
      method: 'POST',
      body: JSON.stringify({
        name: '每月安全檢查提醒',
        cron: '0 10 1 * *',
        message: '【幸福氣】本月瓦斯安全檢查開始預約',
        message_type: 'general',
        recipients: [...phones.map((phone) => ({ phone })), { phone: 'bad' }],
      }),
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ timezone: 'Asia/Taipei', recipients: 2, paused: false, rejected: [{ index: 2 }] });
    // 10:00 in Taipei is 02:00 UTC
    expect(created.body.next_runs[0]).toMatch(/T02:00:00/);
    const id = created.body.campaign_id;

    const batchesOf = async () => (await api('/api/v1/notifications/batches?limit=200')).body.batches.filter((b: any) => b.campaign_id === id);
    expect((await api(`${campaigns}/${id}/trigger`, { method: 'POST' })).status).toBe(200);
    let runs: any[] = [];
    for (let i = 0; i < 40 && runs.length === 0; i++) {
      runs = await batchesOf();
      if (runs.length === 0) await new Promise((r) => setTimeout(r, 250));
    }
    expect(runs).toHaveLength(1);
    expect((await waitForBatch(runs[0].batch_id, allFinal)).counts).toEqual({ delivered: 2 });
    expect(await simulatorSends('every8d', { phone: phones[0] })).toHaveLength(1);

    expect((await api(`${campaigns}/${id}/trigger`, { method: 'POST' })).status).toBe(200);
    for (let i = 0; i < 40 && runs.length < 2; i++) {
      runs = await batchesOf();
      if (runs.length < 2) await new Promise((r) => setTimeout(r, 250));
    }
    expect(new Set(runs.map((r) => r.batch_id)).size).toBe(2);

    const paused = await api(`${campaigns}/${id}/pause`, { method: 'POST' });
    expect(paused.body.paused).toBe(true);
    expect((await api(campaigns)).body.campaigns.find((k: any) => k.campaign_id === id)).toMatchObject({ paused: true });
    expect((await api(`${campaigns}/${id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await api(campaigns)).body.campaigns.find((k: any) => k.campaign_id === id)).toBeUndefined();
  });

  it('skips its runs while its template is switched off', async () => {
    const code = `camp_${Date.now().toString(36)}`;
    const template = await api('/api/v1/notifications/sms-templates', {
      method: 'POST',
      body: JSON.stringify({ code, name: 'n', content: '【幸福氣】本週優惠' }),
    });
    expect(template.status).toBe(201);
    const created = await api(campaigns, {
      method: 'POST',
      body: JSON.stringify({ name: '停用模板', cron: '0 10 1 * *', template_code: code, message_type: 'general', recipients: [{ phone: randomMobile() }] }),
    });
    expect(created.status).toBe(201);
    const id = created.body.campaign_id;
    const off = await api(`/api/v1/notifications/sms-templates/${template.body.id}`, { method: 'PUT', body: JSON.stringify({ is_active: false }) });
    expect(off.body.is_active).toBe(false);

    expect((await api(`${campaigns}/${id}/trigger`, { method: 'POST' })).status).toBe(200);
    // The run's workflow ends without a batch (the trigger returns before it has run: wait for it to close).
    await withTemporal(async (client) => {
      for (let i = 0; i < 40; i++) {
        const runs: string[] = [];
        for await (const wf of client.workflow.list({ query: `WorkflowType = "campaignRunWorkflow" AND ExecutionStatus = "Completed"` }))
          if (JSON.stringify(wf.memo ?? {}).includes(id) || wf.workflowId.includes(id)) runs.push(wf.workflowId);
        if (runs.length) return;
        await new Promise((r) => setTimeout(r, 250));
      }
      throw new Error('the campaign run never finished');
    });
    const batches = (await api('/api/v1/notifications/batches?limit=200')).body.batches.filter((b: any) => b.campaign_id === id);
    expect(batches).toEqual([]);
    expect((await api(`${campaigns}/${id}`, { method: 'DELETE' })).status).toBe(204);
  });

  it('pauses its runs in progress with it (one waiting for allowed hours too), resumes them on unpause, and cancels them on delete', async () => {
    const quietHours = (windows: unknown[]) => api('/api/v1/notifications/settings/quiet-hours', { method: 'PUT', body: JSON.stringify({ windows }) });
    // Marketing runs wait through this window: long enough to pause and delete in, short enough to see it end.
    const quietUntil = Date.now() + 20_000;
    expect((await quietHours([{ start: taipeiTime(-60_000), end: taipeiTime(quietUntil - Date.now()) }])).status).toBe(200);
    try {
      const kept = await waitingRun('暫停的活動');
      const dropped = await waitingRun('刪除的活動');

      const paused = await api(`${campaigns}/${kept.id}/pause`, { method: 'POST' });
      expect(paused.body).toMatchObject({ paused: true, batches_paused: [kept.batchId] });
      // Said by the batch's progress at once; its record says so once the wait is over (it starts nothing then).
      await waitForBatch(kept.batchId, (b) => b.progress?.status === 'paused');
      expect((await api(`${campaigns}/${dropped.id}`, { method: 'DELETE' })).status).toBe(204);
      expect((await waitForBatch(dropped.batchId, (b) => b.status === 'cancelled')).counts).toEqual({ cancelled: 1 });
      const triggered = await api(`${campaigns}/${kept.id}/trigger`, { method: 'POST' });
      expect(triggered.status).toBe(409);
      expect(triggered.body.error.code).toBe('campaign_paused');
      // A run the schedule starts while the campaign is paused (triggered here on the schedule itself) starts paused.
      await withTemporal((client) => client.schedule.getHandle(`campaign-${kept.id}`).trigger());
      const late = await until(
        async () => (await runsOf(kept.id)).find((b: any) => b.batch_id !== kept.batchId),
        (b) => b !== undefined,
        'the run started on the paused schedule stored its batch',
      );
      await waitForBatch(late.batch_id, (b) => b.status === 'paused');

      // Past the window's end the paused runs still send nothing.
      await new Promise((r) => setTimeout(r, Math.max(0, quietUntil - Date.now()) + 3_000));
      expect((await getBatch(kept.batchId)).status).toBe('paused');
      expect(await textsTo(kept.phone)).toEqual([]);
      expect(await textsTo(dropped.phone)).toEqual([]);

      const unpaused = await api(`${campaigns}/${kept.id}/unpause`, { method: 'POST' });
      expect(unpaused.body.paused).toBe(false);
      expect([...unpaused.body.batches_resumed].sort()).toEqual([kept.batchId, late.batch_id].sort());
      expect((await waitForBatch(kept.batchId, allFinal)).counts).toEqual({ delivered: 1 });
      expect((await waitForBatch(late.batch_id, allFinal)).counts).toEqual({ delivered: 1 });
      expect(await textsTo(kept.phone)).toHaveLength(2);
      expect((await api(`${campaigns}/${kept.id}`, { method: 'DELETE' })).status).toBe(204);
    } finally {
      await quietHours([]);
    }
  }, 120_000);

  it('answers a repeated Idempotency-Key with the campaign stored first, scheduling it if the first request stopped short', async () => {
    const key = `campaign-${randomMobile()}`;
    const body = {
      name: `冪等活動 ${key}`,
      cron: '0 10 1 * *',
      message: '【幸福氣】冬季安全檢查',
      message_type: 'general',
      recipients: [{ phone: randomMobile() }, { phone: 'bad' }],
    };
    const create = (b: object) => api(campaigns, { method: 'POST', body: JSON.stringify(b), headers: { 'Idempotency-Key': key } });
    const first = await create(body);
    expect(first.status).toBe(201);
    const id = first.body.campaign_id;
    // As if the first request had stopped between storing the campaign and creating its schedule.
    await withTemporal((client) => client.schedule.getHandle(`campaign-${id}`).delete());

    const repeat = await create(body);
    expect(repeat.status).toBe(201);
    expect(repeat.body).toMatchObject({ campaign_id: id, recipients: 1, rejected: [{ index: 1 }], paused: false });
    expect(repeat.body.next_runs[0]).toMatch(/T02:00:00/);
    expect((await api(campaigns)).body.campaigns.filter((k: any) => k.name === body.name)).toHaveLength(1);
    const audited = await api(`/api/v1/audit-log?action=campaign.created&target_id=${id}`);
    expect(audited.body.entries).toHaveLength(1);

    const other = await create({ ...body, message: '【幸福氣】另一則' });
    expect(other.status).toBe(409);
    expect(other.body.error.code).toBe('idempotency_key_reused');

    expect((await api(`${campaigns}/${id}`, { method: 'DELETE' })).status).toBe(204);
    const afterDelete = await create(body);
    expect(afterDelete.status).toBe(409);
    expect(afterDelete.body.error.code).toBe('idempotency_key_reused');
  });

  it('rejects a bad cron expression with 422 naming the field, leaving no campaign behind', async () => {
    const before = (await api(campaigns)).body.campaigns.length;
    const bad = await api(campaigns, {
      method: 'POST',
      body: JSON.stringify({ name: 'x', cron: 'every now and then', message: 'x', recipients: [{ phone: randomMobile() }] }),
    });
    expect(bad.status).toBe(422);
    expect(bad.body.error.details[0]).toMatchObject({ field: 'cron', message: expect.stringMatching(/^is not a valid cron expression \(.+\)$/) });
    expect((await api(campaigns)).body.campaigns.length).toBe(before);
  });
});
