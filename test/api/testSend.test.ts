import { Client, Connection } from '@temporalio/client';
import { MongoClient } from 'mongodb';
import { createApp } from '../../src/api/app';
import { createRepositories } from '../../src/db';
import { createLogger } from '../../src/log';
import { ReceiptIntake } from '../../src/services/receiptIntake';
import { SmsIntake } from '../../src/services/smsIntake';
import { TEST_MESSAGE } from '../../src/api/routes/testSend';
import { api, randomMobile, simulatorSends, waitForFinal } from '../helpers';

describe('POST /api/v1/test/send-test-sms', () => {
  it('sends the fixed test text through the named provider only, even a lower-priority one', async () => {
    const phone = randomMobile();
    const { status, body } = await api('/api/v1/test/send-test-sms', { method: 'POST', body: JSON.stringify({ phone, provider: 'twilio' }) });
    expect(status).toBe(202);
    const final = await waitForFinal(body.message_id);
    expect(final).toMatchObject({ status: 'delivered', provider: 'twilio', message_type: 'test' });
    expect((await simulatorSends('twilio', { phone })).map((s) => s.body)).toEqual([TEST_MESSAGE]);
    expect(await simulatorSends('every8d', { phone })).toHaveLength(0);
  });

  it('requires a token and a known provider', async () => {
    expect((await api('/api/v1/test/send-test-sms', { method: 'POST', body: JSON.stringify({ phone: randomMobile(), provider: 'twilio' }), token: null })).status).toBe(401);
    const bad = await api('/api/v1/test/send-test-sms', { method: 'POST', body: JSON.stringify({ phone: randomMobile(), provider: 'nexmo' }) });
    expect(bad.status).toBe(422);
    expect(bad.body.error.details[0].field).toBe('provider');
  });

  it('does not exist in production mode (404)', async () => {
    const mongo = await MongoClient.connect(process.env.TEST_MONGO_URI!);
    const connection = await Connection.connect({ address: process.env.TEST_TEMPORAL_ADDRESS! });
    try {
      const temporal = new Client({ connection });
      const repos = await createRepositories(mongo.db(process.env.TEST_MONGO_DB), 'dev-only-credentials-key-change-me-0000');
      const app = createApp({
        repos,
        intake: new SmsIntake(repos.messages, repos.templates, temporal),
        receipts: new ReceiptIntake(repos.messages, repos.webhookEvents, temporal),
        adminToken: 'production-token-0123456789',
        production: true,
        publicBaseUrl: 'https://sms.example.com',
        readiness: {},
        log: createLogger('test', 'error'),
      });
      const response = await app.request('/api/v1/test/send-test-sms', {
        method: 'POST',
        headers: { authorization: 'Bearer production-token-0123456789', 'content-type': 'application/json' },
        body: JSON.stringify({ phone: randomMobile(), provider: 'twilio' }),
      });
      expect(response.status).toBe(404);
    } finally {
      await connection.close();
      await mongo.close();
    }
  });
});
