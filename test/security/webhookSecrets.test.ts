import { randomUUID } from 'node:crypto';
import { apiUrl, withDb } from '../helpers';

const receipt = (provider: 'every8d' | 'mitake', token: string, id: string) =>
  fetch(`${apiUrl()}/api/v1/webhooks/sms/${provider}?token=${encodeURIComponent(token)}&BatchID=${id}&msgid=${id}&STATUS=100&StatusFlag=4`);

const storedFor = (id: string) => withDb((db) => db.collection('webhook_events').find({ provider_message_id: id }).toArray());

describe('webhook secrets', () => {
  it('never stores the webhook token with the receipt', async () => {
    for (const provider of ['every8d', 'mitake'] as const) {
      const id = randomUUID();
      expect((await receipt(provider, process.env.TEST_WEBHOOK_TOKEN!, id)).status).toBe(200);
      const stored = await storedFor(id);
      expect(stored).toHaveLength(1);
      expect(stored[0].payload.map((p: { name: string }) => p.name)).not.toContain('token');
      expect(JSON.stringify(stored)).not.toContain(process.env.TEST_WEBHOOK_TOKEN!);
    }
  });

  it('accepts WEBHOOK_TOKEN_PREVIOUS during a rotation, and nothing else', async () => {
    const id = randomUUID();
    expect((await receipt('every8d', process.env.TEST_WEBHOOK_TOKEN_PREVIOUS!, id)).status).toBe(200);
    expect(JSON.stringify(await storedFor(id))).not.toContain(process.env.TEST_WEBHOOK_TOKEN_PREVIOUS!);
    const refused = randomUUID();
    expect((await receipt('every8d', `${process.env.TEST_WEBHOOK_TOKEN_PREVIOUS!}x`, refused)).status).toBe(403);
    expect(await storedFor(refused)).toHaveLength(0);
  });
});
