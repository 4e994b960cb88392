import { workflowIdFor } from '../../src/domain/sms';
import { api, randomMobile, sendSms, setBehaviour, simulatorSends, waitForFinal, withDb, withTemporal } from '../helpers';

const CHINESE = '【幸福氣】您的訂單已確認，司機將於30分鐘內送達，謝謝您的訂購！';

describe('send-sms end to end (API → Temporal → provider simulator → receipt → MongoDB)', () => {
  it('delivers a Chinese message through the highest-priority provider (Every8d) with UCS-2 segments', async () => {
    const phone = randomMobile();
    const accepted = await sendSms({ phone, message: CHINESE, message_type: 'order_confirmation', metadata: { order_id: 'ORD-1' } });
    expect(accepted.status).toBe(202);
    expect(accepted.body).toMatchObject({
      status: 'queued',
      encoding: 'UCS-2',
      segments: 1,
      characters: Array.from(CHINESE).length,
      phone: `${phone.slice(0, 4)}***${phone.slice(-3)}`,
    });

    const final = await waitForFinal(accepted.body.message_id);
    expect(final).toMatchObject({ status: 'delivered', provider: 'every8d', provider_status: '100', segments: 1, cost: 0.7 });
    expect(final.events.map((e: { type: string }) => e.type)).toEqual(['accepted', 'attempt_started', 'sent', 'receipt']);
    const sends = await simulatorSends('every8d', { phone });
    expect(sends).toHaveLength(1);
    expect(sends[0].body).toBe(CHINESE);
  });

  it('counts a long Chinese message as several 67-unit segments and warns about it', async () => {
    const message = '幸'.repeat(71);
    const accepted = await sendSms({ phone: randomMobile(), message });
    expect(accepted.body).toMatchObject({ encoding: 'UCS-2', segments: 2 });
    expect(accepted.body.warnings).toContainEqual(expect.stringMatching(/2 segments/)); // after the prepended identity's warning
    expect((await waitForFinal(accepted.body.message_id)).cost).toBeCloseTo(1.4);
  });

  it('prices ASCII past one segment at 153 septets per part (Mitake: segments × price)', async () => {
    const phone = randomMobile();
    await setBehaviour('every8d', phone, { failure: 'error_code', error_code: '-2' });
    // GSM-7 needs a text without the (Chinese) sender identity: turn the rule off for this one send.
    const policyPath = '/api/v1/notifications/settings/content-policy';
    const policy = (await api(policyPath)).body;
    await api(policyPath, { method: 'PUT', body: JSON.stringify({ ...policy, sender_identity: '' }) });
    try {
      const accepted = await sendSms({ phone, message: 'x'.repeat(161) });
      expect(accepted.body).toMatchObject({ encoding: 'GSM-7', segments: 2 });
      expect(await waitForFinal(accepted.body.message_id)).toMatchObject({ provider: 'mitake', cost: 1.5 });
    } finally {
      await api(policyPath, { method: 'PUT', body: JSON.stringify(policy) });
    }
  });

  it('prefers the cost the provider reports over our own segment count', async () => {
    const phone = randomMobile();
    await setBehaviour('every8d', phone, { reported_cost: 3 });
    const { body } = await sendSms({ phone, message: '短訊' });
    expect(await waitForFinal(body.message_id)).toMatchObject({ provider: 'every8d', segments: 1, cost: 2.1 });
    const stored = await withDb((db) => db.collection('sms_messages').findOne({ _id: body.message_id } as any));
    expect(stored).toMatchObject({ reported_cost: 3, price_per_segment: 0.7 });
  });

  it('fails over to Mitake when Every8d rejects our credentials (-2), keeping the failed attempt', async () => {
    const phone = randomMobile();
    await setBehaviour('every8d', phone, { failure: 'error_code', error_code: '-2' });
    const { body } = await sendSms({ phone, message: CHINESE });
    const final = await waitForFinal(body.message_id);
    expect(final).toMatchObject({ status: 'delivered', provider: 'mitake' });
    expect(final.attempts.map((a: any) => [a.provider, a.outcome, a.error_code])).toEqual([
      ['every8d', 'error', '-2'],
      ['mitake', 'accepted', null],
    ]);
    expect(await simulatorSends('mitake', { ref: body.message_id })).toHaveLength(1);
  });

  it('fails over to Mitake when Every8d hangs, recording the timeout as ambiguous', async () => {
    const phone = randomMobile();
    await setBehaviour('every8d', phone, { failure: 'hang' });
    const { body } = await sendSms({ phone, message: CHINESE });
    const final = await waitForFinal(body.message_id);
    expect(final).toMatchObject({ status: 'delivered', provider: 'mitake' });
    expect(final.attempts[0]).toMatchObject({ provider: 'every8d', outcome: 'error', error_code: 'timeout', ambiguous: true });
    // Every8d may have taken it before giving up on the answer (the simulator does): a second text is possible, and said.
    expect(final.events.filter((e: any) => e.type === 'possible_duplicate')).toEqual([expect.objectContaining({ provider: 'every8d' })]);
  });

  it("settles a Twilio call that timed out from Twilio's records: texted once, no failover, nothing flagged", async () => {
    const phone = randomMobile();
    await setBehaviour('every8d', phone, { failure: 'error_code', error_code: '-2' });
    await setBehaviour('mitake', phone, { failure: 'error_code', error_code: 'p' });
    await setBehaviour('twilio', phone, { failure: 'hang' }); // Twilio creates the message; its answer never comes
    const { body } = await sendSms({ phone, message: CHINESE });
    const final = await waitForFinal(body.message_id);
    const [twilioSend] = await simulatorSends('twilio', { ref: body.message_id });
    expect(final).toMatchObject({ status: 'delivered', provider: 'twilio', provider_message_id: twilioSend.provider_message_id });
    expect(final.attempts.map((a: any) => [a.provider, a.outcome])).toEqual([
      ['every8d', 'error'],
      ['mitake', 'error'],
      ['twilio', 'accepted'],
    ]);
    // The stored record says how the acceptance was learnt (the API's event list shows no details).
    const stored = await withDb((db) => db.collection('sms_messages').findOne({ _id: body.message_id } as any));
    expect(stored?.events.find((e: any) => e.type === 'sent')?.detail).toMatchObject({ found_after_failure: 'timeout' });
    expect(final.events.filter((e: any) => e.type === 'possible_duplicate')).toEqual([]);
    expect(await simulatorSends('twilio', { ref: body.message_id })).toHaveLength(1);
  });

  it('retries a transient HTTP 500 with back-off before failing over', async () => {
    const phone = randomMobile();
    await setBehaviour('every8d', phone, { failure: 'http_500' });
    const { body } = await sendSms({ phone, message: 'Driver is on the way' });
    const final = await waitForFinal(body.message_id);
    expect(final).toMatchObject({ status: 'delivered', provider: 'mitake' });
    const every8dAttempts = final.attempts.filter((a: any) => a.provider === 'every8d');
    expect(every8dAttempts.map((a: any) => a.error_code)).toEqual(['http_500', 'http_500']); // SMS_ATTEMPTS_PER_PROVIDER=2
  });

  it('reaches Twilio last, through the official package, with a signed receipt', async () => {
    const phone = randomMobile();
    await setBehaviour('every8d', phone, { failure: 'error_code', error_code: '-2' });
    // `p` (no HTTP-API permission): a provider-level refusal that, unlike `s` (no points), says nothing about credit.
    await setBehaviour('mitake', phone, { failure: 'error_code', error_code: 'p' });
    const { body } = await sendSms({ phone, message: CHINESE });
    const final = await waitForFinal(body.message_id);
    expect(final).toMatchObject({ status: 'delivered', provider: 'twilio', provider_status: 'delivered' });
    expect(final.provider_message_id).toMatch(/^SM[0-9a-f]{32}$/);
    const [twilioSend] = await simulatorSends('twilio', { ref: body.message_id });
    expect(twilioSend).toMatchObject({ phone, body: CHINESE });
  });

  it('stops at once with `failed` and no failover when the number is invalid', async () => {
    const phone = randomMobile();
    await setBehaviour('every8d', phone, { failure: 'invalid_number' });
    const { body } = await sendSms({ phone, message: CHINESE });
    const final = await waitForFinal(body.message_id);
    expect(final).toMatchObject({ status: 'failed', error_code: '-8' });
    expect(final.attempts).toHaveLength(1);
    expect(await simulatorSends('mitake', { phone })).toHaveLength(0);
    expect(await simulatorSends('twilio', { phone })).toHaveLength(0);
  });

  it('fails when every provider is unavailable, naming each failure', async () => {
    const phone = randomMobile();
    await setBehaviour('every8d', phone, { failure: 'error_code', error_code: '-2' });
    await setBehaviour('mitake', phone, { failure: 'error_code', error_code: 'e' });
    await setBehaviour('twilio', phone, { failure: 'error_code', error_code: '20003' });
    const { body } = await sendSms({ phone, message: CHINESE });
    const final = await waitForFinal(body.message_id);
    expect(final).toMatchObject({ status: 'failed', error_code: 'all_providers_failed' });
    expect(final.attempts.map((a: any) => a.error_code)).toEqual(['-2', 'e', '20003']);
  });

  it('ends `undelivered` when the receipt says so (Mitake StatusFlag 5)', async () => {
    const phone = randomMobile();
    await setBehaviour('every8d', phone, { failure: 'error_code', error_code: '-2' });
    await setBehaviour('mitake', phone, { receipt: 'undelivered' });
    const { body } = await sendSms({ phone, message: CHINESE });
    expect(await waitForFinal(body.message_id)).toMatchObject({ status: 'undelivered', provider: 'mitake', provider_status: '5' });
  });

  it('ends `expired` when no receipt arrives before the deadline (Every8d polled, still pending)', async () => {
    const phone = randomMobile();
    await setBehaviour('every8d', phone, { receipt: 'none' });
    const { body } = await sendSms({ phone, message: CHINESE });
    const final = await waitForFinal(body.message_id);
    expect(final).toMatchObject({ status: 'expired', provider: 'every8d', error_code: 'receipt_timeout' });
  });

  it('learns an Every8d outcome by polling when the account has no push callback', async () => {
    const phone = randomMobile();
    await setBehaviour('every8d', phone, { push_receipts: false, receipt_delay_ms: 1_000 });
    const { body } = await sendSms({ phone, message: CHINESE });
    const final = await waitForFinal(body.message_id);
    expect(final).toMatchObject({ status: 'delivered', provider: 'every8d', provider_status: '100' });
    const pushed = await withDb((db) =>
      db.collection('webhook_events').countDocuments({ provider: 'every8d', provider_message_id: final.provider_message_id }),
    );
    expect(pushed).toBe(0);
  });

  it('sends once for a repeated Idempotency-Key and refuses the key for a different body', async () => {
    const phone = randomMobile();
    const key = `order-${phone}-confirmed`;
    const first = await sendSms({ phone, message: CHINESE }, { 'Idempotency-Key': key });
    const second = await sendSms({ phone, message: CHINESE }, { 'Idempotency-Key': key });
    expect(second.status).toBe(202);
    expect(second.body.message_id).toBe(first.body.message_id);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    await waitForFinal(first.body.message_id);
    const third = await sendSms({ phone, message: CHINESE }, { 'Idempotency-Key': key });
    expect(third.body).toMatchObject({ message_id: first.body.message_id, status: 'delivered' });
    expect(await simulatorSends('every8d', { phone })).toHaveLength(1);

    const conflict = await sendSms({ phone, message: 'another text' }, { 'Idempotency-Key': key });
    expect(conflict.status).toBe(409);
    expect(conflict.body.error.code).toBe('idempotency_key_reused');
  });

  it('exposes status and provider as search attributes and keeps the phone number out of workflow history', async () => {
    const phone = randomMobile();
    const { body } = await sendSms({ phone, message: CHINESE, message_type: 'delivery_notification' });
    await waitForFinal(body.message_id);
    await withTemporal(async (client) => {
      const workflowId = workflowIdFor(body.message_id);
      const query = `WorkflowId = "${workflowId}" AND SmsStatus = "delivered" AND SmsProvider = "every8d" AND SmsMessageType = "delivery_notification"`;
      let found: string[] = [];
      for (let i = 0; i < 40 && found.length === 0; i++) {
        found = [];
        for await (const wf of client.workflow.list({ query })) found.push(wf.workflowId);
        if (found.length === 0) await new Promise((r) => setTimeout(r, 250)); // visibility is eventually consistent
      }
      expect(found).toEqual([workflowId]);
      const history = JSON.stringify(await client.workflow.getHandle(workflowId).fetchHistory());
      expect(history).not.toContain(phone.slice(1));
      expect(history).not.toContain(Buffer.from(phone).toString('base64'));
    });
  });

  it('answers the status query of a running workflow', async () => {
    const phone = randomMobile();
    await setBehaviour('every8d', phone, { receipt_delay_ms: 3_000, receipt: 'delivered' });
    const { body } = await sendSms({ phone, message: CHINESE });
    await withTemporal(async (client) => {
      const handle = client.workflow.getHandle(workflowIdFor(body.message_id));
      let state: any;
      for (let i = 0; i < 40; i++) {
        state = await handle.query('status');
        if (state.status === 'sent') break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(state).toMatchObject({ status: 'sent', provider: 'every8d' });
    });
    await waitForFinal(body.message_id);
  });
});

describe('sms-status', () => {
  it('answers 404 for an unknown id and 422 for a malformed one', async () => {
    expect((await api('/api/v1/notifications/sms-status/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    const bad = await api('/api/v1/notifications/sms-status/not-an-id');
    expect(bad.status).toBe(422);
    expect(bad.body.error.details[0].field).toBe('message_id');
  });
});
