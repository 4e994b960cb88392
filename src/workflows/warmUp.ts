import { condition, setHandler } from '@temporalio/workflow';
import { deliveryReportSignal, statusQuery } from './signals';

/**
 * Run once on the transactional task queue by each worker process as it starts (temporal/warmUp.ts). A worker's
 * workflow thread compiles the SDK's code and ours lazily, on its first activation: measured, the first order
 * notice after a start spent 110 ms (idle) to 270–760 ms (during a batch) in its first workflow task, against
 * 15–50 ms for the next ones. This pays that before a customer's notice does, with the calls an SMS workflow makes
 * first (handlers, a timer). It reads and writes no store and sends nothing.
 */
export async function workerWarmUpWorkflow(): Promise<void> {
  setHandler(deliveryReportSignal, () => undefined);
  setHandler(statusQuery, () => ({ status: 'queued', failedProviders: [] }));
  await condition(() => false, 1);
}
