import twilio from 'twilio';
import { workflowIdFor } from '../../src/domain/sms';
import { SIMULATOR_CREDENTIALS } from '../../src/simulator';
import { api, apiUrl, randomMobile, sendSms, setBehaviour, twilioOnlyNumberWithoutReceipt, until, waitForFinal, withDb, withTemporal } from '../helpers';

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

/** A Twilio status callback for our message, signed with the simulator account's auth token as Twilio signs it. */
function signedTwilioReceipt(messageId: string, fields: Record<string, string>): Promise<Response> {
  const path = `/api/v1/webhooks/sms/twilio?message_id=${messageId}`;
  const signature = twilio.getExpectedTwilioSignature(SIMULATOR_CREDENTIALS.twilio.auth_token, `${apiUrl()}${path}`, fields);
  return fetch(`${apiUrl()}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
    body: form(fields),
  });
}

async function deliveredVia(provider: 'mitake' | 'twilio') {
  const phone = randomMobile();
  await setBehaviour('every8d', phone, { failure: 'error_code', error_code: '-2' });
  if (provider === 'twilio') await setBehaviour('mitake', phone, { failure: 'error_code', error_code: 'e' });
  const { body } = await sendSms({ phone, message: '【幸福氣】瓦斯已送達' });
  return waitForFinal(body.message_id);
}

describe('delivery-receipt webhooks', () => {
  it('rejects a forged Twilio receipt with 403 and leaves the message untouched', async () => {
    const phone = await twilioOnlyNumberWithoutReceipt();
    const { body } = await sendSms({ phone, message: 'hello' });
    let status: any;
    for (let i = 0; i < 100 && status?.status !== 'sent'; i++) {
      status = (await api(`/api/v1/notifications/sms-status/${body.message_id}`)).body;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(status.status).toBe('sent');

    const path = `/api/v1/webhooks/sms/twilio?message_id=${body.message_id}`;
    const fields = { MessageSid: status.provider_message_id, MessageStatus: 'delivered', To: `+886${phone.slice(1)}` };
    const forged = twilio.getExpectedTwilioSignature('not-the-auth-token', `${apiUrl()}${path}`, fields);
    for (const signature of [forged, undefined]) {
      const response = await fetch(`${apiUrl()}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...(signature ? { 'x-twilio-signature': signature } : {}) },
        body: form(fields),
      });
      expect(response.status).toBe(403);
      expect(((await response.json()) as any).error.code).toBe('invalid_signature');
    }
    const after = (await api(`/api/v1/notifications/sms-status/${body.message_id}`)).body;
    expect(after.status).toBe('sent');
    expect(after.events).toEqual(status.events);
  });

  it('accepts a correctly signed Twilio receipt', async () => {
    const final = await deliveredVia('twilio');
    const response = await signedTwilioReceipt(final.message_id, { MessageSid: final.provider_message_id, MessageStatus: 'delivered' });
    expect(response.status).toBe(204);
  });

  it('applies a receipt that comes after its message expired, once, and moves its log lists with it', async () => {
    const phone = await twilioOnlyNumberWithoutReceipt();
    const { body } = await sendSms({ phone, message: '【幸福氣】瓦斯已送達' });
    const expired = await waitForFinal(body.message_id);
    expect(expired).toMatchObject({ status: 'expired', provider: 'twilio', error_code: 'receipt_timeout' });

    const postReceipt = async (MessageSid: string) => {
      const response = await signedTwilioReceipt(body.message_id, { MessageSid, MessageStatus: 'delivered' });
      expect(response.status).toBe(204);
    };
    await postReceipt('SM-not-this-send'); // not the send the message recorded: changes nothing
    await postReceipt(expired.provider_message_id);
    const read = async () => (await api(`/api/v1/notifications/sms-status/${body.message_id}`)).body;
    const late = await until(read, (m) => m.status === 'delivered', 'the late receipt applied');
    expect(late).toMatchObject({ provider: 'twilio', provider_status: 'delivered', finished_at: expired.finished_at });
    expect(late.error_code ?? null).toBeNull(); // receipt_timeout no longer describes it
    expect(late.events.map((e: any) => e.type).slice(-2)).toEqual(['expired', 'late_receipt']);

    await postReceipt(expired.provider_message_id); // a repeat changes nothing more
    const inLog = async (status: string) =>
      (await api(`/api/v1/notifications/sms-logs?phone=${phone}&status=${status}`)).body.items.map((m: any) => m.message_id);
    expect(await inLog('delivered')).toEqual([body.message_id]);
    expect(await inLog('expired')).toEqual([]);
    const rows = await withDb((db) => db.collection('webhook_events').find({ message_id: body.message_id }).sort({ received_at: 1 }).toArray());
    expect(rows.map((r) => r.disposition)).toEqual(['message_finished', 'applied_late', 'message_finished']);
    expect((await read()).events).toEqual(late.events);
  });

  it('stores a repeated Mitake receipt, acknowledges it the way Mitake expects, and changes nothing', async () => {
    const final = await deliveredVia('mitake');
    // The message is stored final a moment before its workflow closes; a repeat meanwhile is signalled (and ignored).
    await withTemporal((client) => client.workflow.getHandle(workflowIdFor(final.message_id)).result());
    const query = new URLSearchParams({
      token: process.env.TEST_WEBHOOK_TOKEN!,
      message_id: final.message_id,
      msgid: final.provider_message_id,
      dstaddr: '0900000000',
      statusstr: 'UNDELIV',
      statuscode: '0',
      StatusFlag: '5',
    });
    for (let i = 0; i < 2; i++) {
      const response = await fetch(`${apiUrl()}/api/v1/webhooks/sms/mitake?${query}`);
      expect(response.status).toBe(200);
      expect(await response.text()).toBe(`magicid=sms_gateway_rpack\nmsgid=${final.provider_message_id}\n`);
    }
    const after = (await api(`/api/v1/notifications/sms-status/${final.message_id}`)).body;
    expect(after).toMatchObject({ status: 'delivered', events: final.events });
    const stored = await withDb((db) => db.collection('webhook_events').find({ message_id: final.message_id }).toArray());
    expect(stored.map((e) => e.disposition)).toEqual(['signalled', 'message_finished', 'message_finished']);
  });

  it('stores and acknowledges a receipt for a message it does not know', async () => {
    const response = await fetch(
      `${apiUrl()}/api/v1/webhooks/sms/every8d?token=${process.env.TEST_WEBHOOK_TOKEN}&BatchID=11111111-2222-3333-4444-555555555555&RM=%2B886912345678&STATUS=100&$where=1`,
    );
    expect(response.status).toBe(200);
    const stored = await withDb((db) => db.collection('webhook_events').findOne({ provider_message_id: '11111111-2222-3333-4444-555555555555' }));
    expect(stored).toMatchObject({ provider: 'every8d', disposition: 'unknown_message' });
    expect(stored!.payload).toContainEqual({ name: '$where', value: '1' });
  });
});
