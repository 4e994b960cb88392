import { api, randomMobile, sendSms, setBehaviour, simulatorUrl, waitForFinal } from '../helpers';
import { sendBulk, taipeiTime } from '../bulk/helpers';
import type { ProviderName } from '../../src/domain/sms';

const optOuts = '/api/v1/notifications/opt-outs';
const masked = (phone: string) => `${phone.slice(0, 4)}***${phone.slice(-3)}`;
const e164 = (phone: string) => `+886${phone.slice(1)}`;
const lastAudit = async (action: string, phone: string) =>
  (await api(`/api/v1/audit-log?action=${action}&target_id=${encodeURIComponent(masked(phone))}&limit=1`)).body.entries[0];

/** A customer's reply, delivered by the provider's simulator in that provider's wire format. */
async function replyThrough(provider: ProviderName, phone: string, text: string) {
  const response = await fetch(`${simulatorUrl(provider)}/_sim/inbound`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ phone, text }),
  });
  return (await response.json()) as { delivered: boolean; gateway_status: number };
}

describe('opt-out ledger (admin)', () => {
  it('adds, reads, lists and removes a number, auditing every change; marketing is refused meanwhile, notices are not', async () => {
    const phone = randomMobile();
    const added = await api(optOuts, { method: 'POST', body: JSON.stringify({ phone, reason: '客服來電要求' }) });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({
      phone: masked(phone),
      phone_e164: e164(phone),
      source: 'admin',
      reason: '客服來電要求',
      created_by: expect.any(String),
    });
    const admin = added.body.created_by;
    expect((await api(optOuts, { method: 'POST', body: JSON.stringify({ phone: e164(phone) }) })).status).toBe(200); // already there
    expect((await api(`${optOuts}/${phone.slice(0, 4)}-${phone.slice(4, 7)}-${phone.slice(7)}`)).body).toMatchObject({ phone_e164: e164(phone) });
    expect((await api(`${optOuts}?limit=500`)).body.opt_outs.map((o: any) => o.phone_e164)).toContain(e164(phone));
    expect(await lastAudit('opt_out.added', phone)).toMatchObject({ actor: admin, after: { source: 'admin', phone_masked: masked(phone) } });

    const marketing = await sendSms({ phone, message: '【幸福氣】冬季優惠', message_type: 'marketing' });
    expect(marketing.status).toBe(422);
    expect(marketing.body.error).toMatchObject({ code: 'opted_out', details: [{ field: 'phone', message: 'opted out of marketing' }] });
    expect(marketing.body.error.message).not.toContain(phone);
    for (const message_type of ['order_confirmation', 'delivery_notification', 'payment_reminder']) {
      const notice = await sendSms({ phone, message: '【幸福氣】您的訂單已確認', message_type });
      expect(notice.status).toBe(202);
      expect((await waitForFinal(notice.body.message_id)).status).toBe('delivered');
    }

    const other = randomMobile();
    const batch = await sendBulk({
      recipients: [{ phone }, { phone: other }],
      message: '【幸福氣】春季優惠',
      message_type: 'marketing',
      batch_name: 'opt-out batch',
    });
    expect(batch.status).toBe(202);
    expect(batch.body).toMatchObject({ accepted: 1, rejected: [{ index: 0, phone: masked(phone), reason: 'opted_out' }] });
    const notices = await sendBulk({
      recipients: [{ phone }],
      message: '【幸福氣】瓦斯到貨通知',
      message_type: 'delivery_notification',
      batch_name: 'notices',
    });
    expect(notices.body).toMatchObject({ accepted: 1, rejected: [] });

    const removed = await api(`${optOuts}/${e164(phone)}`, { method: 'DELETE' });
    expect(removed.status).toBe(200);
    expect(await lastAudit('opt_out.removed', phone)).toMatchObject({ actor: admin, before: { source: 'admin' } });
    expect((await api(`${optOuts}/${phone}`, { method: 'DELETE' })).status).toBe(404);
    expect((await api(`${optOuts}/${phone}`)).status).toBe(404);
    expect((await sendSms({ phone, message: '【幸福氣】冬季優惠', message_type: 'marketing' })).status).toBe(202);
  });

  it('answers 422 naming the field for a bad number or body', async () => {
    const bad = await api(optOuts, { method: 'POST', body: JSON.stringify({ phone: '12345' }) });
    expect(bad.status).toBe(422);
    expect(bad.body.error.details.map((d: any) => d.field)).toEqual(['phone']);
    expect((await api(`${optOuts}/12345`)).body.error.details.map((d: any) => d.field)).toEqual(['phone']);
    const extra = await api(optOuts, { method: 'POST', body: JSON.stringify({ phone: randomMobile(), note: 'x' }) });
    expect(extra.status).toBe(422);
  });
});

describe('opt-outs from customers and providers', () => {
  it.each([
    ['every8d', '退訂'],
    ['mitake', '我要取消'],
    ['twilio', 'STOP'],
    ['every8d', 'td'],
  ] as const)('through %s, a reply "%s" suppresses marketing on every provider', async (provider, text) => {
    const phone = randomMobile();
    expect(await replyThrough(provider, phone, text)).toMatchObject({ delivered: true });
    const entry = (await api(`${optOuts}/${phone}`)).body;
    expect(entry).toMatchObject({ source: 'inbound_reply', provider, created_by: `provider:${provider}`, reason: `reply "${text}"` });
    expect((await sendSms({ phone, message: '【幸福氣】冬季優惠', message_type: 'marketing' })).body.error.code).toBe('opted_out');
  });

  it('ignores an ordinary reply', async () => {
    const phone = randomMobile();
    expect(await replyThrough('twilio', phone, '好的，謝謝')).toMatchObject({ delivered: true });
    expect(await replyThrough('every8d', phone, '收到')).toMatchObject({ delivered: true });
    expect((await api(`${optOuts}/${phone}`)).status).toBe(404);
  });

  it('refuses an unsigned Twilio inbound post', async () => {
    const response = await api('/api/v1/webhooks/sms/twilio/inbound', {
      method: 'POST',
      token: null,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'From=%2B886912345678&Body=STOP',
    });
    expect(response.status).toBe(403);
  });

  it('records Twilio error 21610 (unsubscribed recipient) as an opt-out', async () => {
    const phone = randomMobile();
    await setBehaviour('twilio', phone, { failure: 'error_code', error_code: '21610' });
    const { body } = await api('/api/v1/test/send-test-sms', { method: 'POST', body: JSON.stringify({ phone, provider: 'twilio' }) });
    expect(await waitForFinal(body.message_id)).toMatchObject({ status: 'failed', error_code: '21610' });
    expect((await api(`${optOuts}/${phone}`)).body).toMatchObject({ source: 'provider', provider: 'twilio', reason: expect.stringContaining('21610') });
  });

  it('withholds marketing accepted before the opt-out (held for quiet hours) when its time comes', async () => {
    const saved = (await api('/api/v1/notifications/settings/quiet-hours')).body.windows;
    const put = (windows: unknown[]) => api('/api/v1/notifications/settings/quiet-hours', { method: 'PUT', body: JSON.stringify({ windows }) });
    try {
      await put([{ start: taipeiTime(-60_000), end: taipeiTime(4_000) }]);
      const phone = randomMobile();
      const promo = await sendSms({ phone, message: '【幸福氣】冬季優惠', message_type: 'marketing' });
      expect(promo.body.status).toBe('scheduled');
      await replyThrough('every8d', phone, '退訂');
      expect(await waitForFinal(promo.body.message_id, 30_000)).toMatchObject({ status: 'failed', error_code: 'opted_out' });
    } finally {
      await put(saved);
    }
  });
});
