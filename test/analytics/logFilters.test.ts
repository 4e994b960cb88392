import { randomUUID } from 'node:crypto';
import { api, randomMobile, sendSms, setBehaviour, waitForFinal } from '../helpers';

const logs = async (query: Record<string, string>) => (await api(`/api/v1/notifications/sms-logs?${new URLSearchParams(query)}`)).body;

/** Follows next_cursor to the end (bounded), returning every id seen in order. */
async function walk(query: Record<string, string>, maxPages = 20): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < maxPages; page++) {
    const body: any = await logs({ ...query, ...(cursor ? { cursor } : {}) });
    ids.push(...body.items.map((m: any) => m.message_id));
    cursor = body.next_cursor;
    if (!cursor) return ids;
  }
  throw new Error(`still paging after ${maxPages} pages`);
}

describe('sms-logs filters', () => {
  const phone = randomMobile();
  const failingPhone = randomMobile();
  const orderId = `ORD-${randomUUID()}`;
  const code = `logs_${randomUUID().slice(0, 8)}`;
  const ids: Record<string, string> = {};
  let startedAt: string;

  beforeAll(async () => {
    startedAt = new Date(Date.now() - 1_000).toISOString();
    expect(
      (
        await api('/api/v1/notifications/sms-templates', {
          method: 'POST',
          body: JSON.stringify({ code, name: 'logs test', content: '【幸福氣】{name} 您好' }),
        })
      ).status,
    ).toBe(201);
    // Every8d refuses this number's sends, so it goes out through Mitake; the other number fails everywhere.
    await setBehaviour('every8d', phone, { failure: 'error_code', error_code: '-2' });
    for (const provider of ['every8d', 'mitake', 'twilio'] as const)
      await setBehaviour(provider, failingPhone, { failure: 'error_code', error_code: provider === 'every8d' ? '-2' : provider === 'mitake' ? 'e' : '21211' });
    const send = async (name: string, body: Record<string, unknown>) => {
      const { status, body: answer } = await sendSms({ phone, ...body });
      expect(status).toBe(202);
      ids[name] = answer.message_id;
    };
    await send('order', { message: '【幸福氣】訂單已確認', message_type: 'order_confirmation', metadata: { order_id: orderId } });
    await send('reminder', { message: '【幸福氣】請繳費', message_type: 'payment_reminder' });
    for (let i = 0; i < 3; i++) await send(`templated${i}`, { template_code: code, template_data: { name: `王${i}` }, message_type: 'general' });
    const failed = await sendSms({ phone: failingPhone, message: '【幸福氣】測試', message_type: 'general' });
    ids.failed = failed.body.message_id;
    await Promise.all(Object.values(ids).map((id) => waitForFinal(id)));
  });

  it('finds a customer’s messages by number, newest first, across cursor pages without repeats', async () => {
    const seen = await walk({ phone, limit: '2' });
    const mine = ['order', 'reminder', 'templated0', 'templated1', 'templated2'].map((k) => ids[k]);
    expect(new Set(seen)).toEqual(new Set(mine));
    expect(seen).toHaveLength(mine.length);
  });

  it('finds a message by the caller’s order reference', async () => {
    const body = await logs({ order_id: orderId });
    expect(body.items.map((m: any) => m.message_id)).toEqual([ids.order]);
    expect((await logs({ order_id: `ORD-${randomUUID()}` })).items).toEqual([]);
  });

  it('filters by template, paging in twos', async () => {
    expect(await walk({ template_code: code, limit: '2' })).toEqual([ids.templated2, ids.templated1, ids.templated0]);
  });

  it('filters by status, provider and type by their current values, alone and combined', async () => {
    const failed = await logs({ status: 'failed', limit: '200' });
    expect(failed.items.map((m: any) => m.message_id)).toContain(ids.failed);
    expect(failed.items.every((m: any) => m.status === 'failed')).toBe(true);

    const viaMitake = await logs({ provider: 'mitake', status: 'delivered', limit: '200' });
    expect(viaMitake.items.map((m: any) => m.message_id)).toEqual(expect.arrayContaining([ids.order, ids.reminder]));
    expect(viaMitake.items.every((m: any) => m.provider === 'mitake' && m.status === 'delivered')).toBe(true);

    const reminders = await logs({ message_type: 'payment_reminder', limit: '200' });
    expect(reminders.items.map((m: any) => m.message_id)).toContain(ids.reminder);
    expect(reminders.items.every((m: any) => m.message_type === 'payment_reminder')).toBe(true);
    expect((await logs({ message_type: 'payment_reminder', phone, limit: '10' })).items.map((m: any) => m.message_id)).toEqual([ids.reminder]);
  });

  it('filters by creation time range', async () => {
    const inRange = await walk({ phone, from: startedAt, limit: '50' });
    expect(inRange).toHaveLength(5);
    expect(await walk({ phone, to: startedAt, limit: '50' })).toEqual([]);
  });

  it('exports the same selection as CSV', async () => {
    const response = await fetch(`${process.env.TEST_API_URL}/api/v1/notifications/sms-logs/export.csv?template_code=${code}`, {
      headers: { authorization: `Bearer ${process.env.TEST_ADMIN_TOKEN}` },
    });
    const lines = (await response.text()).trim().split('\n');
    expect(lines.slice(1).map((l) => l.split(',')[0])).toEqual([ids.templated2, ids.templated1, ids.templated0]);
  });

  it('answers 422 naming a bad template code', async () => {
    const { status, body } = await api('/api/v1/notifications/sms-logs?template_code=Bad%20Code');
    expect(status).toBe(422);
    expect(body.error.details[0].field).toBe('template_code');
  });
});
