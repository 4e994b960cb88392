import { api, randomMobile } from '../helpers';

const keyFor = async (name: string, role: 'sender' | 'viewer') =>
  (await api('/api/v1/api-keys', { method: 'POST', body: JSON.stringify({ name, role }) })).body.key as string;
const as = (token: string, method: string, path: string, body?: unknown) => api(path, { method, token, ...(body ? { body: JSON.stringify(body) } : {}) });

describe('batch ownership', () => {
  let owner: string;
  let other: string;
  let viewer: string;
  let batchId: string;

  beforeAll(async () => {
    owner = await keyFor('batch owner', 'sender');
    other = await keyFor('another client', 'sender');
    viewer = await keyFor('operations desk', 'viewer');
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

  it("answers another sender's pause, resume or cancel as if the batch did not exist, and leaves it alone", async () => {
    for (const action of ['pause', 'resume', 'cancel']) {
      const response = await as(other, 'POST', `/api/v1/notifications/batches/${batchId}/${action}`);
      expect({ action, status: response.status, code: response.body.error?.code }).toEqual({ action, status: 404, code: 'not_found' });
    }
    expect((await api(`/api/v1/notifications/batches/${batchId}`)).body.status).toBe('scheduled');
  });

  it('shows a sender only the batches its key created; admins and viewers see all', async () => {
    const ids = async (token: string) => (await as(token, 'GET', '/api/v1/notifications/batches?limit=200')).body.batches.map((b: any) => b.batch_id);
    expect(await ids(owner)).toEqual([batchId]);
    expect(await ids(other)).toEqual([]);
    expect(await ids(process.env.TEST_ADMIN_TOKEN!)).toContain(batchId);
    expect(await ids(viewer)).toContain(batchId);

    const read = async (token: string) => (await as(token, 'GET', `/api/v1/notifications/batches/${batchId}`)).status;
    expect({ owner: await read(owner), other: await read(other), viewer: await read(viewer) }).toEqual({ owner: 200, other: 404, viewer: 200 });
  });

  it("keeps a sender's messages to itself: status, callbacks, log, export and its batch's figures", async () => {
    const phone = randomMobile();
    const sent = await as(owner, 'POST', '/api/v1/notifications/send-sms', { phone, message: 'ownership of a message' });
    expect(sent.status).toBe(202);
    const id = sent.body.message_id;
    const statuses = async (path: string) => ({
      owner: (await as(owner, 'GET', path)).status,
      other: (await as(other, 'GET', path)).status,
      viewer: (await as(viewer, 'GET', path)).status,
    });
    expect(await statuses(`/api/v1/notifications/sms-status/${id}`)).toEqual({ owner: 200, other: 404, viewer: 200 });
    expect(await statuses(`/api/v1/notifications/sms-status/${id}/callbacks`)).toEqual({ owner: 200, other: 404, viewer: 200 });
    expect(await statuses(`/api/v1/notifications/stats?batch_id=${batchId}`)).toEqual({ owner: 200, other: 404, viewer: 200 });

    const logged = async (token: string) => (await as(token, 'GET', `/api/v1/notifications/sms-logs?phone=${phone}`)).body.items.map((m: any) => m.message_id);
    expect(await logged(owner)).toEqual([id]);
    expect(await logged(other)).toEqual([]);
    expect(await logged(viewer)).toEqual([id]);
    const exported = async (token: string) =>
      (await as(token, 'GET', `/api/v1/notifications/sms-logs/export.csv?phone=${phone}`)).body.trim().split('\n').length;
    expect({ owner: await exported(owner), other: await exported(other) }).toEqual({ owner: 2, other: 1 }); // header and row; header only
  });

  it('lets the creating key and an admin control the batch', async () => {
    expect((await as(owner, 'POST', `/api/v1/notifications/batches/${batchId}/pause`)).status).toBe(202);
    expect((await api(`/api/v1/notifications/batches/${batchId}/cancel`, { method: 'POST' })).status).toBe(202);
  });
});
