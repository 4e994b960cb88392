import { Client, Connection } from '@temporalio/client';
import { MongoClient } from 'mongodb';
import { loadConfig } from '../../src/config';
import { createRepositories } from '../../src/db';
import { createLogger } from '../../src/log';
import { buildApp } from '../../src/server';
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
    expect(
      (await api('/api/v1/test/send-test-sms', { method: 'POST', body: JSON.stringify({ phone: randomMobile(), provider: 'twilio' }), token: null })).status,
    ).toBe(401);
    const bad = await api('/api/v1/test/send-test-sms', { method: 'POST', body: JSON.stringify({ phone: randomMobile(), provider: 'nexmo' }) });
    expect(bad.status).toBe(422);
    expect(bad.body.error.details[0].field).toBe('provider');
  });

  it('does not exist in production mode (404)', async () => {
    const mongo = await MongoClient.connect(process.env.TEST_MONGO_URI!);
    const connection = await Connection.connect({ address: process.env.TEST_TEMPORAL_ADDRESS! });
    try {
      const config = loadConfig({
        APP_ENV: 'production',
        ADMIN_TOKEN: 'production-token-0123456789',
        CREDENTIALS_KEY: 'production-credentials-key-0123456789',
        PAYLOAD_ENCRYPTION_KEY: 'production-payload-key-0123456789',
        WEBHOOK_TOKEN: 'production-webhook-token-0123456789',
        PUBLIC_BASE_URL: 'https://sms.example.com',
      });
      const db = mongo.db(process.env.TEST_MONGO_DB);
      const repos = await createRepositories(db, config);
      const { token } = await repos.apiKeys.create({ name: 'production-mode test', role: 'admin', created_by: 'test' });
      const app = buildApp({ config, db, repos, temporal: new Client({ connection }), log: createLogger('test', 'error') });
      const response = await app.request('/api/v1/test/send-test-sms', {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ phone: randomMobile(), provider: 'twilio' }),
      });
      expect(response.status).toBe(404);
    } finally {
      await connection.close();
      await mongo.close();
    }
  });
});
