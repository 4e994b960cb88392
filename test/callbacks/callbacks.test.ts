import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyCallbackSignature } from '../../src/client';
import { statusCallbackId } from '../../src/domain/statusCallback';
import { CallbackTransportError, postJson } from '../../src/services/callbackPost';
import { api, randomMobile, waitForFinal, withDb, withTemporal } from '../helpers';
import { startReceiver } from './receiver';

type Receiver = Awaited<ReturnType<typeof startReceiver>>;
let receiver: Receiver;
let key: { id: string; key: string; callback_secret: string };

// /flaky fails each callback's first two attempts with 500; /refuse answers 400; anything else 200.
beforeAll(async () => {
  receiver = await startReceiver((path, attempt) => (path === '/flaky' ? (attempt <= 2 ? 500 : 200) : path === '/refuse' ? 400 : 200));
  key = (await api('/api/v1/api-keys', { method: 'POST', body: JSON.stringify({ name: 'callbacks e2e', role: 'sender' }) })).body;
});
afterAll(() => receiver?.close());

const send = (body: Record<string, unknown>, token = key.key) =>
  api('/api/v1/notifications/send-sms', {
    method: 'POST',
    token,
    body: JSON.stringify({ phone: randomMobile(), message: '【幸福氣】您的訂單已確認', ...body }),
  });

/** The callback's workflow result, once it exists (it starts when the status change is recorded). */
const outcomeOf = async (messageId: string, sequence: number) => {
  await receiver.until(messageId, (got) => got.some((r) => r.payload.sequence === sequence));
  return withTemporal((client) => client.workflow.getHandle(statusCallbackId(messageId, sequence)).result());
};

describe('status callbacks', () => {
  it('POSTs each status change, signed so the client helper verifies it', async () => {
    const sent = await send({ callback_url: receiver.url('/ok') });
    expect(sent.status).toBe(202);
    const id = sent.body.message_id as string;
    await waitForFinal(id);
    const got = await receiver.until(id, (r) => r.length >= 2);
    const payloads = got.map((r) => r.payload).sort((a, b) => a.sequence - b.sequence);
    expect(payloads).toEqual([
      expect.objectContaining({ message_id: id, sequence: 1, previous_status: 'queued', status: 'sent', provider: 'every8d', reference: null, error: null }),
      expect.objectContaining({ message_id: id, sequence: 2, previous_status: 'sent', status: 'delivered', provider: 'every8d' }),
    ]);
    expect(payloads[0].provider_message_id).toEqual(expect.any(String));
    for (const r of got) {
      const timestamp = r.headers[TIMESTAMP_HEADER.toLowerCase()] as string;
      const signature = r.headers[SIGNATURE_HEADER.toLowerCase()] as string;
      expect(signature).toMatch(/^v1=[0-9a-f]{64}$/);
      expect(verifyCallbackSignature(key.callback_secret, timestamp, r.body, signature)).toBe(true);
      expect(verifyCallbackSignature('lgcs_someone-else', timestamp, r.body, signature)).toBe(false);
    }
    expect(await outcomeOf(id, 2)).toEqual({ outcome: 'delivered', httpStatus: 200 });
  });

  it('retries a receiver that fails with 500 twice, then delivers', async () => {
    const id = (await send({ callback_url: receiver.url('/flaky') })).body.message_id as string;
    expect(await outcomeOf(id, 1)).toEqual({ outcome: 'delivered', httpStatus: 200 });
    const first = receiver.of(id).filter((r) => r.payload.sequence === 1);
    expect(first.map((r) => r.answeredWith)).toEqual([500, 500, 200]);
    // Every attempt carries the same body, signed afresh.
    expect(new Set(first.map((r) => r.body)).size).toBe(1);
    for (const r of first)
      expect(
        verifyCallbackSignature(key.callback_secret, r.headers['x-luckygas-timestamp'] as string, r.body, r.headers['x-luckygas-signature'] as string),
      ).toBe(true);
    const view = await api(`/api/v1/notifications/sms-status/${id}/callbacks`, { token: key.key });
    expect(view.body).toMatchObject({ callback_host: new URL(receiver.url('/')).host });
    expect(view.body.callbacks[0]).toMatchObject({ sequence: 1, status: 'sent', outcome: 'delivered', failed_attempts: 2, last_http_status: 200 });
  });

  it('gives up on a receiver that answers 400, without retrying', async () => {
    const id = (await send({ callback_url: receiver.url('/refuse') })).body.message_id as string;
    expect(await outcomeOf(id, 1)).toEqual({ outcome: 'gave_up', httpStatus: 400, reason: 'receiver answered HTTP 400' });
    expect(receiver.of(id).filter((r) => r.payload.sequence === 1)).toHaveLength(1);
    const view = await api(`/api/v1/notifications/sms-status/${id}/callbacks`, { token: key.key });
    expect(view.body.callbacks[0]).toMatchObject({
      sequence: 1,
      status: 'sent',
      outcome: 'gave_up',
      last_http_status: 400,
      reason: 'receiver answered HTTP 400',
    });
  });

  it("uses the key's default callback URL, which a message can turn off with null", async () => {
    const withDefault = (
      await api('/api/v1/api-keys', {
        method: 'POST',
        body: JSON.stringify({ name: 'callbacks default', role: 'sender', callback_url: receiver.url('/default') }),
      })
    ).body;
    expect(withDefault).toMatchObject({ callback_url: receiver.url('/default'), has_callback_secret: true });
    const reported = (await send({}, withDefault.key)).body.message_id as string;
    const silent = (await send({ callback_url: null }, withDefault.key)).body.message_id as string;
    const got = await receiver.until(reported, (r) => r.some((x) => x.payload.status === 'delivered'));
    expect(
      got.every(
        (r) =>
          r.path === '/default' &&
          verifyCallbackSignature(
            withDefault.callback_secret,
            r.headers['x-luckygas-timestamp'] as string,
            r.body,
            r.headers['x-luckygas-signature'] as string,
          ),
      ),
    ).toBe(true);
    await waitForFinal(silent);
    const stored = await withDb((db) => db.collection('sms_messages').findOne({ _id: silent as never }));
    expect(stored?.callback).toBeUndefined();
    expect(receiver.of(silent)).toEqual([]);
  });

  it('reports every message of a batch', async () => {
    const batch = await api('/api/v1/notifications/send-bulk-sms', {
      method: 'POST',
      token: key.key,
      body: JSON.stringify({
        batch_name: 'callbacks',
        message: '【幸福氣】瓦斯到貨通知',
        recipients: [{ phone: randomMobile() }, { phone: randomMobile() }],
        callback_url: receiver.url('/batch'),
      }),
    });
    expect(batch.status).toBe(202);
    const ids = await withDb(async (db) => {
      for (;;) {
        const found = await db.collection('sms_messages').find({ batch_id: batch.body.batch_id }).project({ _id: 1 }).toArray();
        if (found.length === 2) return found.map((m) => String(m._id));
        await new Promise((r) => setTimeout(r, 100));
      }
    });
    for (const id of ids) await receiver.until(id, (r) => r.some((x) => x.payload.status === 'delivered'));
  });

  it('makes no callback and costs nothing for a message without a callback URL', async () => {
    const id = (await send({})).body.message_id as string;
    await waitForFinal(id);
    const stored = await withDb((db) => db.collection('sms_messages').findOne({ _id: id as never }));
    expect(stored).not.toHaveProperty('callback_seq');
    expect(receiver.of(id)).toEqual([]);
  });
});

describe('callback_url validation', () => {
  it.each([
    ['plain http to another host', 'http://orders.example.com/hook', /https/],
    ['not a URL', 'orders.example.com/hook', /absolute URL/],
    ['credentials in the URL', 'https://u:p@orders.example.com/hook', /credentials/],
  ])('refuses %s, naming the field', async (_label, url, reason) => {
    const response = await send({ callback_url: url });
    expect(response.status).toBe(422);
    expect(response.body.error.details).toEqual([{ field: 'callback_url', message: expect.stringMatching(reason) }]);
  });

  it('refuses callbacks for a key without a callback secret until an admin makes one, shown once', async () => {
    // A key made before callbacks existed has no secret.
    const legacy = (await api('/api/v1/api-keys', { method: 'POST', body: JSON.stringify({ name: 'legacy', role: 'sender' }) })).body;
    await withDb((db) => db.collection('api_keys').updateOne({ _id: legacy.id as never }, { $unset: { callback_secret: '' } }));
    const refused = await send({ callback_url: 'https://orders.example.com/hook' }, legacy.key);
    expect(refused.status).toBe(422);
    expect(refused.body.error).toMatchObject({
      code: 'callback_secret_missing',
      details: [{ field: 'callback_url', message: expect.stringMatching(/callback-secret/) }],
    });

    const rotated = await api(`/api/v1/api-keys/${legacy.id}/callback-secret`, { method: 'POST' });
    expect(rotated.status).toBe(200);
    expect(rotated.body).toMatchObject({ has_callback_secret: true, callback_secret: expect.stringMatching(/^lgcs_/) });
    const id = (await send({ callback_url: receiver.url('/rotated') }, legacy.key)).body.message_id as string;
    const [first] = await receiver.until(id, (r) => r.length >= 1);
    expect(
      verifyCallbackSignature(
        rotated.body.callback_secret,
        first.headers['x-luckygas-timestamp'] as string,
        first.body,
        first.headers['x-luckygas-signature'] as string,
      ),
    ).toBe(true);
    expect((await api('/api/v1/api-keys/key_nobody/callback-secret', { method: 'POST' })).status).toBe(404);
  });

  it('refuses a bad default URL on an API key, and lets an admin set, clear and re-key it', async () => {
    const bad = await api('/api/v1/api-keys', { method: 'POST', body: JSON.stringify({ name: 'bad', role: 'sender', callback_url: 'ftp://x.example.com' }) });
    expect(bad.status).toBe(422);
    expect(bad.body.error.details).toEqual([{ field: 'callback_url', message: expect.any(String) }]);

    const set = await api(`/api/v1/api-keys/${key.id}`, { method: 'PATCH', body: JSON.stringify({ callback_url: 'https://orders.example.com/sms' }) });
    expect(set.body).toMatchObject({ callback_url: 'https://orders.example.com/sms', has_callback_secret: true });
    const cleared = await api(`/api/v1/api-keys/${key.id}`, { method: 'PATCH', body: JSON.stringify({ callback_url: null }) });
    expect(cleared.body.callback_url).toBeNull();

    const listed = (await api('/api/v1/api-keys')).body.api_keys.find((k: { id: string }) => k.id === key.id);
    expect(JSON.stringify(listed)).not.toMatch(/secret"?:\s*"|lgcs_/);
    const stored = await withDb((db) => db.collection('api_keys').findOne({ _id: key.id as never }));
    expect(JSON.stringify(stored)).not.toContain(key.callback_secret); // encrypted at rest
  });
});

describe('the production address guard at send time', () => {
  it('refuses a name that resolves to an internal address before sending anything (DNS rebinding)', async () => {
    // `localhost` resolves to loopback: what a rebound public name would look like by the time we POST.
    const url = receiver.url('/rebound').replace('127.0.0.1', 'localhost');
    const before = receiver.received.length;
    const error = await postJson(url, '{}', {}, { timeoutMs: 2_000, publicOnly: true }).catch((e) => e);
    expect(error).toBeInstanceOf(CallbackTransportError);
    expect(error).toMatchObject({ permanent: true, message: expect.stringMatching(/internal address/) });
    expect(receiver.received.length).toBe(before);
    // The same POST without the guard (development) reaches the receiver: the refusal above was the guard's.
    expect(await postJson(url, '{"message_id":"x","sequence":1}', {}, { timeoutMs: 2_000, publicOnly: false })).toEqual({ status: 200 });
  });
});
