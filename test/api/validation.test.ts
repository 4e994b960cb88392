import { api, randomMobile, sendSms } from '../helpers';

const fieldsOf = (body: any): string[] => body.error.details.map((d: { field: string }) => d.field);

describe('send-sms input validation', () => {
  it.each([
    ['a foreign number', { phone: '+14155550123', message: 'hi' }, 'phone'],
    ['too few digits', { phone: '091234567', message: 'hi' }, 'phone'],
    ['letters in the number', { phone: '0912abc678', message: 'hi' }, 'phone'],
    ['an empty message', { phone: '0912345678', message: '' }, 'message'],
    ['a whitespace-only message', { phone: '0912345678', message: '   ' }, 'message'],
    ['a message over 333 characters', { phone: '0912345678', message: '氣'.repeat(334) }, 'message'],
    ['a control character', { phone: '0912345678', message: 'hi\u0000there' }, 'message'],
    ['a number instead of a string phone', { phone: 912345678, message: 'hi' }, 'phone'],
    ['an unknown message_type', { phone: '0912345678', message: 'hi', message_type: 'spam' }, 'message_type'],
    ['nested metadata', { phone: '0912345678', message: 'hi', metadata: { a: { $gt: 1 } } }, 'metadata.a'],
    ['an operator as a metadata key', { phone: '0912345678', message: 'hi', metadata: { $where: 'x' } }, 'metadata.$where'],
    ['an unknown field', { phone: '0912345678', message: 'hi', template_id: 3 }, 'body'],
  ])('answers 422 naming the field for %s', async (_label, payload, field) => {
    const { status, body } = await sendSms(payload);
    expect(status).toBe(422);
    expect(body.error.code).toBe('validation_failed');
    expect(fieldsOf(body)).toContain(field);
    expect(JSON.stringify(body)).not.toMatch(/at .*\.ts:\d+/); // no stack traces
  });

  it.each([
    ['national', (n: string) => n],
    ['dashed', (n: string) => `${n.slice(0, 4)}-${n.slice(4, 7)}-${n.slice(7)}`],
    ['E.164', (n: string) => `+886${n.slice(1)}`],
    ['886-prefixed', (n: string) => `886${n.slice(1)}`],
    ['spaced E.164', (n: string) => `+886 ${n.slice(1, 4)} ${n.slice(4, 7)} ${n.slice(7)}`],
  ])('accepts a %s mobile number and masks it', async (_label, format) => {
    const mobile = randomMobile();
    const { status, body } = await sendSms({ phone: format(mobile), message: 'hi' });
    expect(status).toBe(202);
    expect(body.phone).toBe(`${mobile.slice(0, 4)}***${mobile.slice(-3)}`);
  });

  it('accepts a landline but warns that it may not receive SMS', async () => {
    const { status, body } = await sendSms({ phone: '02-2345-6789', message: 'hi' });
    expect(status).toBe(202);
    expect(body.warnings).toContain('landline numbers usually cannot receive SMS');
  });

  it('answers 400 for malformed JSON and 415 for a body that is not JSON, naming the body', async () => {
    const { status, body } = await api('/api/v1/notifications/send-sms', { method: 'POST', body: '{"phone":' });
    expect(status).toBe(400);
    expect(body.error.code).toBe('bad_request');
    expect(fieldsOf(body)).toEqual(['body']);
    const text = await api('/api/v1/notifications/send-sms', { method: 'POST', body: 'phone=0912345678', headers: { 'content-type': 'text/plain' } });
    expect(text.status).toBe(415);
    expect(text.body.error.code).toBe('unsupported_media_type');
    expect(fieldsOf(text.body)).toEqual(['body']);
  });

  it('refuses text that is no text: a lone surrogate half in a message or a reference', async () => {
    const lone = await sendSms({ phone: randomMobile(), message: 'hi \ud800', reference: 'ref-\udc00' });
    expect(lone.status).toBe(422);
    expect(fieldsOf(lone.body).sort()).toEqual(['message', 'reference']);
  });

  it('refuses a batch row nested absurdly deep with 422 naming it, keyed or not, never a 500', async () => {
    const deep = `${'['.repeat(5_000)}${']'.repeat(5_000)}`;
    const body = `{"batch_name":"deep","message":"x","recipients":[{"phone":"0912345678"},${deep}]}`;
    for (const headers of [{}, { 'Idempotency-Key': `deep-${randomMobile()}` }] as Record<string, string>[]) {
      const { status, body: answer } = await api('/api/v1/notifications/send-bulk-sms', { method: 'POST', body, headers });
      expect(status).toBe(422);
      expect(fieldsOf(answer)).toEqual(['recipients.1']);
    }
  });

  it("keeps a batch's scheduled_at and an order's due_at within reach", async () => {
    const batch = (scheduled_at: string) =>
      api('/api/v1/notifications/send-bulk-sms', {
        method: 'POST',
        body: JSON.stringify({ batch_name: 'when', message: 'x', recipients: [{ phone: randomMobile() }], scheduled_at }),
      });
    for (const at of ['2000-01-01T00:00:00Z', '9999-12-31T23:59:59Z']) {
      const { status, body } = await batch(at);
      expect({ at, status, fields: fieldsOf(body) }).toEqual({ at, status: 422, fields: ['scheduled_at'] });
    }
    const due = await api('/api/v1/notifications/order-events', {
      method: 'POST',
      body: JSON.stringify({
        order_id: `ORD-far-${randomMobile()}`,
        event: 'payment_due',
        phone: randomMobile(),
        occurred_at: new Date().toISOString(),
        data: { order_number: 'ORD-far', amount: 800, due_at: '9999-12-31T00:00:00Z' },
      }),
    });
    expect(due.status).toBe(422);
    expect(fieldsOf(due.body)).toEqual(['data.due_at']);
  });

  it('answers 413 for a body over the limit', async () => {
    const { status, body } = await api('/api/v1/notifications/send-sms', {
      method: 'POST',
      body: JSON.stringify({ phone: '0912345678', message: 'x'.repeat(70_000) }),
    });
    expect(status).toBe(413);
    expect(body.error.code).toBe('payload_too_large');
  });

  it('answers 422 for a malformed Idempotency-Key', async () => {
    const { status, body } = await sendSms({ phone: randomMobile(), message: 'hi' }, { 'Idempotency-Key': 'has spaces in it' });
    expect(status).toBe(422);
    expect(fieldsOf(body)).toContain('idempotency-key');
  });

  it('answers 401 without a token or with a wrong one', async () => {
    for (const token of [null, 'wrong-token']) {
      const { status, body } = await api('/api/v1/notifications/send-sms', {
        method: 'POST',
        body: JSON.stringify({ phone: '0912345678', message: 'hi' }),
        token,
      });
      expect(status).toBe(401);
      expect(body.error.code).toBe('unauthorized');
    }
  });
});

describe('service endpoints', () => {
  it('reports health, readiness, the OpenAPI document and the docs page', async () => {
    expect((await api('/healthz', { token: null })).body).toEqual({ status: 'ok' });
    // The supervised servers of the embedded stack are listed too (temporal_server, embedded_store).
    expect((await api('/readyz', { token: null })).body).toEqual({
      status: 'ready',
      checks: { mongodb: true, temporal: true, temporal_server: true, embedded_store: true },
    });
    const doc = await api('/openapi.json', { token: null });
    expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(['/api/v1/notifications/send-sms', '/api/v1/notifications/sms-status/{message_id}']));
    const docs = await api('/docs', { token: null });
    expect(docs.status).toBe(200);
    expect(docs.body).toContain('swagger-ui-bundle.js');
    expect((await api('/docs/assets/swagger-ui-bundle.js', { token: null })).status).toBe(200);
  });

  it('answers unknown routes with a JSON 404', async () => {
    const { status, body } = await api('/api/v1/nothing-here');
    expect(status).toBe(404);
    expect(body.error.code).toBe('not_found');
  });
});
