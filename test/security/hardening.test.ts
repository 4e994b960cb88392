import { CredentialCipher } from '../../src/db/credentialCipher';
import { workflowIdFor } from '../../src/domain/sms';
import { EncryptionCodec } from '../../src/temporal/codec';
import { api, apiUrl, randomMobile, sendSms, waitForFinal, withDb, withTemporal } from '../helpers';

describe('webhook authenticity for Every8d and Mitake', () => {
  const batchId = () => `00000000-0000-4000-8000-${String(Date.now()).padStart(12, '0')}`;

  it.each([
    ['no token', ''],
    ['a wrong token', 'token=wrong-token-wrong-token'],
  ])('answers 403 to a receipt with %s and stores nothing', async (_label, token) => {
    for (const provider of ['every8d', 'mitake']) {
      const id = batchId();
      const response = await fetch(`${apiUrl()}/api/v1/webhooks/sms/${provider}?${token}&BatchID=${id}&msgid=${id}&STATUS=100&StatusFlag=4`);
      expect(response.status).toBe(403);
      expect(await withDb((db) => db.collection('webhook_events').countDocuments({ provider_message_id: id }))).toBe(0);
    }
  });
});

describe('Temporal payload encryption', () => {
  it('keeps workflow inputs, signals and results unreadable in history without the codec', async () => {
    const { body } = await sendSms({ phone: randomMobile(), message: 'secret-ish' });
    await waitForFinal(body.message_id);
    const history = await withTemporal((client) => client.workflow.getHandle(workflowIdFor(body.message_id)).fetchHistory(), { decrypt: false });
    const started = history.events![0].workflowExecutionStartedEventAttributes!;
    const input = started.input!.payloads![0];
    expect(Buffer.from(input.metadata!.encoding!).toString()).toBe('binary/encrypted');
    expect(Buffer.from(input.data!).toString('latin1')).not.toContain(body.message_id);
    expect(JSON.stringify(history)).not.toContain(Buffer.from(body.message_id).toString('base64'));
  });

  /** One payload sealed with the development key, in the remote-codec wire format. */
  const sealedPayloads = async () => {
    const codec = EncryptionCodec.fromSecrets('dev-only-payload-key-change-me-000000000');
    const [sealed] = await codec.encode([{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('{"messageId":"x"}') }]);
    return [
      {
        metadata: Object.fromEntries(Object.entries(sealed.metadata!).map(([k, v]) => [k, Buffer.from(v!).toString('base64')])),
        data: Buffer.from(sealed.data!).toString('base64'),
      },
    ];
  };

  it('decodes payloads at the codec endpoint for an authenticated operator only', async () => {
    const payloads = await sealedPayloads();
    expect((await api('/codec/decode', { method: 'POST', body: JSON.stringify({ payloads }), token: null })).status).toBe(401);
    const { status, body } = await api('/codec/decode', { method: 'POST', body: JSON.stringify({ payloads }) });
    expect(status).toBe(200);
    expect(Buffer.from(body.payloads[0].data, 'base64').toString()).toBe('{"messageId":"x"}');
  });

  it('lets the embedded development UI decode through its own codec path, and nobody without that path', async () => {
    const settings = (await (await fetch(`${process.env.TEST_TEMPORAL_UI_URL}/api/v1/settings`)).json()) as { Codec?: { Endpoint?: string } };
    const endpoint = settings.Codec?.Endpoint ?? '';
    expect(endpoint).toMatch(new RegExp(`^${apiUrl()}/codec-ui/[0-9a-f]{48}$`));
    const origin = new URL(process.env.TEST_TEMPORAL_UI_URL!).origin;
    const payloads = await sealedPayloads();
    const decode = (url: string) =>
      fetch(`${url}/decode`, { method: 'POST', headers: { 'content-type': 'application/json', origin }, body: JSON.stringify({ payloads }) });
    const response = await decode(endpoint);
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe(origin);
    const body = (await response.json()) as { payloads: { data: string }[] };
    expect(Buffer.from(body.payloads[0].data, 'base64').toString()).toBe('{"messageId":"x"}');
    expect((await decode(`${apiUrl()}/codec-ui/${'0'.repeat(48)}`)).status).toBe(404);
  });
});

describe('credential key rotation', () => {
  it('decrypts with a previous key and encrypts with the current one', () => {
    const old = new CredentialCipher('old-key-old-key-old-key-old-key!');
    const sealed = old.encrypt({ password: 'p@ss' });
    const rotated = new CredentialCipher('new-key-new-key-new-key-new-key!', ['old-key-old-key-old-key-old-key!']);
    expect(rotated.decrypt(sealed)).toEqual({ password: 'p@ss' });
    expect(rotated.encrypt({ a: 'b' }).kid).not.toBe(sealed.kid);
    expect(() => new CredentialCipher('new-key-new-key-new-key-new-key!').decrypt(sealed)).toThrow(/previous/);
  });
});

describe('hostile input', () => {
  const hostile: [string, string | object, number][] = [
    ['an operator instead of a phone', { phone: { $gt: '' }, message: 'x' }, 422],
    ['an operator instead of a message', { phone: '0912345678', message: { $ne: null } }, 422],
    ['an operator in metadata values', { phone: '0912345678', message: 'x', metadata: { a: { $where: 'sleep(1000)' } } }, 422],
    ['a prototype-pollution key', '{"phone":"0912345678","message":"x","__proto__":{"admin":true}}', 422],
    ['a constructor key in metadata', { phone: '0912345678', message: 'x', metadata: { constructor: { prototype: {} } } }, 422],
    ['an array body', [{ phone: '0912345678', message: 'x' }], 422],
    ['a null body', 'null', 422],
    ['a string body', '"hello"', 422],
    ['a deeply nested body', `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`, 422],
    ['a NUL byte in the message', { phone: '0912345678', message: 'x\u0000y' }, 422],
    ['an escape sequence in the message', { phone: '0912345678', message: '\u001b[2J' }, 422],
    ['a huge phone string', { phone: '9'.repeat(10_000), message: 'x' }, 422],
    ['a body over 64 KiB', { phone: '0912345678', message: 'x'.repeat(70_000) }, 413],
    ['truncated JSON', '{"phone": "09', 400],
    ['a number as message_type', { phone: '0912345678', message: 'x', message_type: 7 }, 422],
    ['a boolean phone', { phone: true, message: 'x' }, 422],
  ];

  it.each(hostile)('answers %s with a clean %i, no stack and no internals', async (_label, payload, expected) => {
    const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
    const response = await api('/api/v1/notifications/send-sms', { method: 'POST', body });
    expect(response.status).toBe(expected);
    expect(response.body.error.code).toEqual(expect.any(String));
    expect(JSON.stringify(response.body)).not.toMatch(/node_modules|\.ts:\d+|at [A-Za-z]+ \(|MongoServerError/);
  });

  it('keeps serving after all of them', async () => {
    expect((await api('/readyz', { token: null })).body.status).toBe('ready');
    expect((await sendSms({ phone: randomMobile(), message: 'still here' })).status).toBe(202);
  });
});
