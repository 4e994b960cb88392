import { api, randomMobile } from '../helpers';

export const sendBulk = (body: Record<string, unknown>) => api('/api/v1/notifications/send-bulk-sms', { method: 'POST', body: JSON.stringify(body) });
export const getBatch = async (batchId: string) => (await api(`/api/v1/notifications/batches/${batchId}`)).body;

/** Polls a batch until `done` says so (or fails after the timeout with the last state). */
export async function waitForBatch(batchId: string, done: (batch: any) => boolean, timeoutMs = 60_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const batch = await getBatch(batchId);
    if (done(batch)) return batch;
    if (Date.now() > deadline) throw new Error(`batch ${batchId} did not get there: ${JSON.stringify(batch)}`);
    await new Promise((r) => setTimeout(r, 1_000));
  }
}

/**
 * A batch of `size` fresh numbers, due a moment from now and paused before it starts: every message prepared
 * (`queued`), none started. Returns the batch as it reads then.
 */
export async function pausedBatch(size: number, message: string, batchName: string): Promise<{ batchId: string; phones: string[]; paused: any }> {
  const phones = Array.from({ length: size }, () => randomMobile());
  const scheduledAt = new Date(Date.now() + 1_500).toISOString();
  const { body } = await sendBulk({ recipients: phones.map((phone) => ({ phone })), message, batch_name: batchName, scheduled_at: scheduledAt });
  await api(`/api/v1/notifications/batches/${body.batch_id}/pause`, { method: 'POST' });
  const paused = await waitForBatch(body.batch_id, (b) => b.status === 'paused' && b.counts?.queued === size);
  return { batchId: body.batch_id, phones, paused };
}

const FINAL = ['delivered', 'undelivered', 'failed', 'expired'];
export const finalCount = (batch: any) => Object.entries(batch.counts ?? {}).reduce((n, [status, c]) => n + (FINAL.includes(status) ? (c as number) : 0), 0);
export const allFinal = (batch: any) => batch.status === 'completed' && finalCount(batch) === batch.total;

/** Taipei wall-clock time of day (HH:MM:SS) `offsetMs` from now, for quiet-hours windows. */
export const taipeiTime = (offsetMs: number) => new Date(Date.now() + offsetMs + 8 * 3600_000).toISOString().slice(11, 19);
