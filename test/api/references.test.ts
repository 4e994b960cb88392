// Client references (unique per API key) and who sent each message, through the public API.
import { randomUUID } from 'node:crypto';
import { SmsGatewayClient } from '../../src/client';
import { batchMessageId } from '../../src/activities/bulk';
import { api, apiUrl, randomMobile, sendSms, waitForFinal } from '../helpers';

async function createKey(name: string): Promise<{ id: string; key: string }> {
  const response = await api('/api/v1/api-keys', { method: 'POST', body: JSON.stringify({ name, role: 'sender' }) });
  expect(response.status).toBe(201);
  return response.body;
}

const sendAs = (token: string, body: unknown, headers: Record<string, string> = {}) =>
  api('/api/v1/notifications/send-sms', { method: 'POST', token, body: JSON.stringify(body), headers });
const byReference = (token: string, reference: string) => api(`/api/v1/notifications/sms?reference=${encodeURIComponent(reference)}`, { token });

describe('client references', () => {
  let key: { id: string; key: string };
  beforeAll(async () => {
    key = await createKey('order system (references)');
  });

  it('returns the same message for a repeated reference, and finds it by reference for that key only', async () => {
    const reference = `ORD-${randomUUID().slice(0, 8)}/confirmed`;
    const request = { phone: randomMobile(), message: '【幸福氣】訂單已確認', reference };
    const first = await sendAs(key.key, request);
    expect(first.status).toBe(202);
    expect(first.body.reference).toBe(reference);
    const repeat = await sendAs(key.key, request);
    expect(repeat.status).toBe(202);
    expect(repeat.body.message_id).toBe(first.body.message_id);
    expect(repeat.headers.get('idempotent-replayed')).toBe('true');

    const found = await byReference(key.key, reference);
    expect(found.status).toBe(200);
    expect(found.body).toMatchObject({
      message_id: first.body.message_id,
      reference,
      sent_by: { kind: 'api_key', id: key.id, name: 'order system (references)' },
    });
    // Another key's reference space is its own: the same reference names nothing there, and sends a new message.
    const other = await createKey('another client');
    expect((await byReference(other.key, reference)).status).toBe(404);
    const theirs = await sendAs(other.key, request);
    expect(theirs.body.message_id).not.toBe(first.body.message_id);
    await waitForFinal(first.body.message_id);
  });

  it('answers 409 when a reference is reused for a different message', async () => {
    const reference = `ref-${randomUUID()}`;
    const phone = randomMobile();
    expect((await sendAs(key.key, { phone, message: '【幸福氣】第一則', reference })).status).toBe(202);
    const clash = await sendAs(key.key, { phone, message: '【幸福氣】另一則', reference });
    expect(clash.status).toBe(409);
    expect(clash.body.error.code).toBe('reference_reused');
  });

  it.each([
    ['an empty reference', { reference: '' }],
    ['a reference over 64 characters', { reference: 'r'.repeat(65) }],
    ['a reference with a line break', { reference: 'a\nb' }],
  ])('answers 422 naming reference for %s', async (_label, fields) => {
    const { status, body } = await sendSms({ phone: randomMobile(), message: 'hi', ...fields });
    expect(status).toBe(422);
    expect(body.error.details.map((d: { field: string }) => d.field)).toEqual(['reference']);
  });

  it('refuses a reference together with an Idempotency-Key, naming reference', async () => {
    const { status, body } = await sendSms({ phone: randomMobile(), message: 'hi', reference: 'r-1' }, { 'Idempotency-Key': 'k-1' });
    expect(status).toBe(422);
    expect(body.error.details.map((d: { field: string }) => d.field)).toEqual(['reference']);
  });

  it('answers 404 for a reference the caller never used', async () => {
    expect((await byReference(key.key, `never-${randomUUID()}`)).status).toBe(404);
  });
});

describe('sent_by', () => {
  it('records the API key (id and name, never the secret) on every message, shown by sms-status and the log', async () => {
    const key = await createKey('dispatch console');
    const { body } = await sendAs(key.key, { phone: randomMobile(), message: '【幸福氣】司機已出發' });
    const shown = (await api(`/api/v1/notifications/sms-status/${body.message_id}`)).body;
    expect(shown.sent_by).toEqual({ kind: 'api_key', id: key.id, name: 'dispatch console' });
    expect(JSON.stringify(shown)).not.toContain(key.key);
    const logged = await api(`/api/v1/notifications/sms-logs?limit=50`);
    expect(logged.body.items.find((m: { message_id: string }) => m.message_id === body.message_id)).toMatchObject({ sent_by: key.id });
  });
});

describe('sent_by on batch messages', () => {
  it("records the batch creator's key on each message of the batch", async () => {
    const key = await createKey('bulk sender');
    const { status, body } = await api('/api/v1/notifications/send-bulk-sms', {
      method: 'POST',
      token: key.key,
      body: JSON.stringify({ recipients: [{ phone: randomMobile() }], message: '【幸福氣】系統維護通知', message_type: 'general', batch_name: 'sent_by' }),
    });
    expect(status).toBe(202);
    const final = await waitForFinal(batchMessageId(body.batch_id, 0));
    expect(final.sent_by).toEqual({ kind: 'api_key', id: key.id, name: null });
  });
});

describe('typed client', () => {
  it('sends with a reference and a schedule, finds the message by reference and cancels it', async () => {
    const key = await createKey('typed client');
    const client = new SmsGatewayClient({ baseUrl: apiUrl(), token: key.key });
    const reference = `typed-${randomUUID().slice(0, 8)}`;
    const sent = await client.sendSms({ phone: randomMobile(), message: '【幸福氣】明天配送', reference, scheduled_at: new Date(Date.now() + 3_600_000) });
    expect(sent).toMatchObject({ status: 'scheduled', reference, replayed: false });
    expect((await client.findByReference(reference))?.message_id).toBe(sent.message_id);
    expect(await client.findByReference(`${reference}-none`)).toBeNull();
    expect(await client.cancelSms(sent.message_id)).toMatchObject({ status: 'cancelled' });
    await expect(client.cancelSms(sent.message_id)).rejects.toMatchObject({ status: 409, code: 'not_cancellable' });
  });
});
