import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { sign } from 'hono/jwt';
import { api, randomMobile, sendSms, withDb } from '../helpers';

const createKey = async (body: Record<string, unknown>) => {
  const response = await api('/api/v1/api-keys', { method: 'POST', body: JSON.stringify(body) });
  expect(response.status).toBe(201);
  return response.body as { id: string; key: string; role: string };
};
const jwt = (claims: Record<string, unknown>, secret = process.env.TEST_JWT_SECRET!) =>
  sign({ exp: Math.floor(Date.now() / 1000) + 300, iss: process.env.TEST_JWT_ISSUER, aud: process.env.TEST_JWT_AUDIENCE, ...claims }, secret, 'HS256');

describe('roles', () => {
  let sender: string;
  let viewer: string;
  let messageId: string;
  let templateId: string;
  const call = (token: string, method: string, path: string, body?: unknown) => api(path, { method, token, ...(body ? { body: JSON.stringify(body) } : {}) });

  beforeAll(async () => {
    sender = (await createKey({ name: 'order system', role: 'sender' })).key;
    viewer = (await createKey({ name: 'support desk', role: 'viewer' })).key;
    // Sent by the sender key: a sender reads its own messages only (docs/security.md, ownership).
    messageId = (await call(sender, 'POST', '/api/v1/notifications/send-sms', { phone: randomMobile(), message: 'role test' })).body.message_id;
    templateId = (await api('/api/v1/notifications/sms-templates')).body.templates[0].id;
  });

  const cases: [string, string, () => string, () => unknown, Record<'sender' | 'viewer', number>][] = [
    ['POST', '/api/v1/notifications/send-sms', () => '', () => ({ phone: randomMobile(), message: 'hi' }), { sender: 202, viewer: 403 }],
    ['GET', '/api/v1/notifications/sms-status/', () => messageId, () => undefined, { sender: 200, viewer: 200 }],
    ['GET', '/api/v1/notifications/sms-templates', () => '', () => undefined, { sender: 200, viewer: 403 }],
    ['GET', '/api/v1/notifications/sms-templates/', () => `${templateId}/stats`, () => undefined, { sender: 200, viewer: 200 }],
    ['PUT', '/api/v1/notifications/sms-templates/', () => templateId, () => ({ name: 'x' }), { sender: 403, viewer: 403 }],
    ['GET', '/api/v1/notifications/providers', () => '', () => undefined, { sender: 403, viewer: 403 }],
    ['PUT', '/api/v1/notifications/providers/mitake', () => '', () => ({ priority: 15 }), { sender: 403, viewer: 403 }],
    ['POST', '/api/v1/api-keys', () => '', () => ({ name: 'x', role: 'admin' }), { sender: 403, viewer: 403 }],
    ['GET', '/api/v1/audit-log', () => '', () => undefined, { sender: 403, viewer: 403 }],
    ['POST', '/api/v1/test/send-test-sms', () => '', () => ({ phone: randomMobile(), provider: 'mitake' }), { sender: 403, viewer: 403 }],
  ];

  it.each(cases)('%s %s%s answers each role as its permissions say', async (method, path, suffix, body, expected) => {
    for (const [role, token] of [
      ['sender', sender],
      ['viewer', viewer],
    ] as const) {
      const response = await call(token, method, `${path}${suffix()}`, body());
      expect({ role, status: response.status }).toEqual({ role, status: expected[role] });
      if (response.status === 403) expect(response.body.error.code).toBe('forbidden');
    }
  });

  it('lets an admin do everything the others may not', async () => {
    expect((await api('/api/v1/notifications/providers')).status).toBe(200);
    expect((await api('/api/v1/audit-log')).status).toBe(200);
  });
});

describe('API keys', () => {
  it('never returns a secret or hash after creation, and rejects a revoked key with 401', async () => {
    const created = await createKey({ name: 'temporary', role: 'viewer' });
    expect(created.key).toMatch(/^lgk_/);
    const listed = (await api('/api/v1/api-keys')).body.api_keys;
    expect(JSON.stringify(listed)).not.toContain(created.key);
    expect(listed.find((k: any) => k.id === created.id)).not.toHaveProperty('hash');
    const stored = await withDb((db) => db.collection('api_keys').findOne({ _id: created.id } as any));
    expect(JSON.stringify(stored)).not.toContain(created.key);

    expect((await api(`/api/v1/notifications/sms-templates/x/stats`, { token: created.key })).status).toBe(422); // authenticated
    const revoked = await api(`/api/v1/api-keys/${created.id}`, { method: 'DELETE' });
    expect(revoked.status).toBe(200);
    expect(revoked.body.revoked_at).toEqual(expect.any(String));
    const after = await api('/api/v1/notifications/sms-status/00000000-0000-4000-8000-000000000000', { token: created.key });
    expect(after.status).toBe(401);
    expect((await api(`/api/v1/api-keys/${created.id}`, { method: 'DELETE' })).status).toBe(404);
  });

  it('can be created by the CLI, which prints the key once', async () => {
    const result = spawnSync('node', ['--import', 'tsx', 'scripts/create-api-key.ts', '--name', 'cli test', '--role', 'sender'], {
      cwd: resolve(__dirname, '..', '..'),
      env: { ...process.env, MONGODB_URI: process.env.TEST_MONGO_URI, MONGODB_DB: process.env.TEST_MONGO_DB },
      encoding: 'utf8',
    });
    const key = /lgk_\S+/.exec(result.stdout)?.[0];
    expect(key).toBeDefined();
    expect((await sendSms({ phone: randomMobile(), message: 'from a CLI key' }, { authorization: `Bearer ${key}` })).status).toBe(202);
  });
});

describe('JWTs from the LuckyGas backend', () => {
  it('accepts a valid token and scopes it to its subject and role', async () => {
    const token = await jwt({ sub: 'backend', role: 'sender' });
    expect((await sendSms({ phone: randomMobile(), message: 'via jwt' }, { authorization: `Bearer ${token}` })).status).toBe(202);
    expect((await api('/api/v1/notifications/providers', { token })).status).toBe(403);
  });

  it.each([
    ['an expired token', () => jwt({ sub: 'backend', role: 'admin', exp: Math.floor(Date.now() / 1000) - 10 }), /expired/],
    ['a token signed with another secret', () => jwt({ sub: 'backend', role: 'admin' }, 'not-the-secret-but-long-enough-000000'), /signature|invalid/],
    ['a token without a role', () => jwt({ sub: 'backend' }), /role/],
    ['a token with an unknown role', () => jwt({ sub: 'backend', role: 'root' }), /role/],
    [
      'a token without exp',
      () =>
        sign({ sub: 'backend', role: 'admin', iss: process.env.TEST_JWT_ISSUER, aud: process.env.TEST_JWT_AUDIENCE }, process.env.TEST_JWT_SECRET!, 'HS256'),
      /exp/,
    ],
    ['a token from another issuer', () => jwt({ sub: 'backend', role: 'admin', iss: 'someone-else' }), /iss claim is not the issuer/],
    ['a token without an issuer', () => jwt({ sub: 'backend', role: 'admin', iss: undefined }), /iss claim/],
    ['a token for another audience', () => jwt({ sub: 'backend', role: 'admin', aud: 'another-service' }), /aud claim does not name this service/],
    ['a token without an audience', () => jwt({ sub: 'backend', role: 'admin', aud: undefined }), /must carry an aud claim/],
    [
      'a token living longer than 24 h (exp - iat)',
      () => jwt({ sub: 'backend', role: 'admin', iat: Math.floor(Date.now() / 1000) - 2 * 86400 }),
      /lifetime .* exceeds the 86400 s/,
    ],
    [
      'a token without iat expiring in a year',
      () => jwt({ sub: 'backend', role: 'admin', exp: Math.floor(Date.now() / 1000) + 365 * 86400 }),
      /more than the 86400 s/,
    ],
  ])('rejects %s with 401', async (_label, make, message) => {
    const { status, body } = await api('/api/v1/notifications/providers', { token: await make() });
    expect(status).toBe(401);
    expect(body.error.message).toMatch(message);
  });
});

describe('message types per key', () => {
  it('lets a key limited to some message types send only those, by every path, naming the field', async () => {
    const created = await api('/api/v1/api-keys', {
      method: 'POST',
      body: JSON.stringify({ name: 'campaign tool', role: 'sender', message_types: ['marketing'] }),
    });
    expect(created.status).toBe(201);
    expect(created.body.message_types).toEqual(['marketing']);
    const token = created.body.key as string;
    const post = (path: string, body: unknown) => api(`/api/v1/notifications/${path}`, { method: 'POST', token, body: JSON.stringify(body) });
    const refusal = (r: { status: number; body: any }) => ({
      status: r.status,
      code: r.body.error?.code,
      fields: r.body.error?.details?.map((d: any) => d.field),
    });

    // A promotion labelled an order confirmation would skip opt-outs and quiet hours.
    expect(refusal(await post('send-sms', { phone: randomMobile(), message: '【幸福氣】限時優惠', message_type: 'order_confirmation' }))).toEqual({
      status: 403,
      code: 'message_type_not_allowed',
      fields: ['message_type'],
    });
    // A template's own type counts when none is given.
    expect(
      refusal(
        await post('send-sms', { phone: randomMobile(), template_code: 'order_confirmation', template_data: { order_number: 'A1', delivery_time: '今天' } }),
      ),
    ).toEqual({
      status: 403,
      code: 'message_type_not_allowed',
      fields: ['template_code'],
    });
    expect(
      refusal(await post('send-bulk-sms', { batch_name: 'x', message: '【幸福氣】通知', message_type: 'general', recipients: [{ phone: randomMobile() }] })),
    ).toEqual({
      status: 403,
      code: 'message_type_not_allowed',
      fields: ['message_type'],
    });
    const order = { order_id: `ORD-types-${randomMobile()}`, phone: randomMobile(), occurred_at: new Date().toISOString() };
    expect(refusal(await post('order-events', { ...order, event: 'confirmed', data: { order_number: 'A1', delivery_time: '今天' } }))).toEqual({
      status: 403,
      code: 'message_type_not_allowed',
      fields: ['event'],
    });
    // An event that texts nothing still takes the order's texts back: the order system's key alone.
    expect(refusal(await post('order-events', { ...order, event: 'cancelled' }))).toEqual({ status: 403, code: 'message_type_not_allowed', fields: ['event'] });
    expect((await post('send-sms', { phone: randomMobile(), message: '【幸福氣】冬季優惠', message_type: 'marketing' })).status).toBe(202);
  });
});

describe('rate limits', () => {
  it('answers 429 with Retry-After once a key exceeds its requests per minute', async () => {
    const { key } = await createKey({ name: 'limited', role: 'viewer', rate_limit_per_minute: 3 });
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 4; i++) {
      const response = await api('/api/v1/notifications/sms-status/00000000-0000-4000-8000-000000000000', { token: key });
      statuses.push(response.status);
      retryAfter = response.headers.get('retry-after');
    }
    expect(statuses).toEqual([404, 404, 404, 429]);
    expect(Number(retryAfter)).toBeGreaterThan(0);
    expect(Number(retryAfter)).toBeLessThanOrEqual(60);
  });

  it('stops SMS pumping: at most 5 messages per number per hour, with more room for order notices', async () => {
    const phone = randomMobile();
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await sendSms({ phone, message: `marketing ${i}`, message_type: 'marketing' })).status);
    expect(statuses).toEqual([202, 202, 202, 202, 202, 429]);
    const refused = await sendSms({ phone, message: 'one more', message_type: 'general' });
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('rate_limited');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await sendSms({ phone, message: '您的訂單已確認', message_type: 'order_confirmation' })).status).toBe(202);
    // refused requests stored nothing
    expect(await withDb((db) => db.collection('sms_messages').countDocuments({ phone_national: phone }))).toBe(6);
  });
});
