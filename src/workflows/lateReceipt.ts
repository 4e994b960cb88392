import { proxyLocalActivities } from '@temporalio/workflow';
import type { BookkeepingActivities } from '../activities/types';
import type { DeliveryReport } from '../domain/sms';
import { BOOKKEEPING_OPTIONS } from './sendSms';

export interface LateReceiptInput {
  messageId: string;
  report: DeliveryReport;
}

const bookkeeping = proxyLocalActivities<BookkeepingActivities>(BOOKKEEPING_OPTIONS);

/**
 * A receipt for a message that ended `expired` (domain/lateReceipts.ts), workflow id `late-receipt-<messageId>`. The
 * message's own workflow has closed, and only the worker writes a message's counters and lists, so the API hands the
 * receipt to this one-step workflow.
 */
export async function lateReceiptWorkflow({ messageId, report }: LateReceiptInput): Promise<void> {
  await bookkeeping.recordReceipt({ messageId, report, final: true });
}
