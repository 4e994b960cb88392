import { api, randomMobile } from '../helpers';

const senderKey = async (name: string) =>
  (await api('/api/v1/api-keys', { method: 'POST', body: JSON.stringify({ name, role: 'sender' }) })).body.key as string;
const as = (token: string, method: string, path: string, body?: unknown) => api(path, { method, token, ...(body ? { body: JSON.stringify(body) } : {}) });

describe('batch ownership', () => {
  let owner: string;
  let other: string;
  let batchId: string;

  beforeAll(async () => {
    owner = await senderKey('batch owner');
    other = await senderKey('another client');
    // Scheduled a day ahead, so it is still controllable whatever else runs.
    const created = await as(owner, 'POST', '/api/v1/notifications/send-bulk-sms', {
      batch_name: 'owned batch',
      message: 'ownership test',
      scheduled_at: new Date(Date.now() + 86_400_000).toISOString(),
      recipients: [{ phone: randomMobile() }],
    });
    expect(created.status).toBe(202);
    batchId = created.body.batch_id;
  });

  it("answers 403 to another sender's pause, resume or cancel and leaves the batch alone", async () => {
    for (const action of ['pause', 'resume', 'cancel']) {
      const response = await as(other, 'POST', `/api/v1/notifications/batches/${batchId}/${action}`);
      expect({ action, status: response.status, code: response.body.error?.code }).toEqual({ action, status: 403, code: 'forbidden' });
    }
    expect((await api(`/api/v1/notifications/batches/${batchId}`)).body.status).toBe('scheduled');
  });

  it('lists to a non-admin only the batches their key created; admins see all', async () => {
    const ids = async (token: string) => (await as(token, 'GET', '/api/v1/notifications/batches?limit=200')).body.batches.map((b: any) => b.batch_id);
    expect(await ids(owner)).toEqual([batchId]);
    expect(await ids(other)).toEqual([]);
    expect(await ids(process.env.TEST_ADMIN_TOKEN!)).toContain(batchId);
  });

  it('lets the creating key and an admin control the batch', async () => {
    expect((await as(owner, 'POST', `/api/v1/notifications/batches/${batchId}/pause`)).status).toBe(202);
    expect((await api(`/api/v1/notifications/batches/${batchId}/cancel`, { method: 'POST' })).status).toBe(202);
  });
});
