import { condition, defineSignal, proxyActivities, setHandler } from '@temporalio/workflow';

/** The bench's baseline: the smallest workflow of an SMS's shape. Bundled by the baseline worker only. */
export const receiptSignal = defineSignal<[string]>('receipt');

const { post } = proxyActivities<{ post(input: { id: string }): Promise<string> }>({ startToCloseTimeout: '20 seconds' });

export async function baselineSmsWorkflow({ id }: { id: string }): Promise<string> {
  let receipt: string | undefined;
  setHandler(receiptSignal, (r) => void (receipt = r));
  await post({ id });
  // A real receipt wait has a deadline, so the baseline pays for the timer too.
  await condition(() => receipt !== undefined, '24 hours');
  return receipt ?? 'expired';
}
