import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { DeliveryReport } from '../domain/sms';
import type { BulkProgress } from './bulkSms';
import type { SmsWorkflowState } from './sendSms';

/** Signal and query definitions, apart from the workflows so parent and child can both import them. */
export const deliveryReportSignal = defineSignal<[DeliveryReport]>('deliveryReport');
export const statusQuery = defineQuery<SmsWorkflowState>('status');
/**
 * Takes a message back before a provider has it: accepted until a provider accepted the message; the workflow
 * decides (SendGate), so exactly one of "cancelled" and "handed to a provider" happens. Completes once the cancel is
 * stored, or fails (TooLateToCancel) once a provider call it could not stop got the message through.
 */
export const cancelMessageUpdate = defineUpdate<{ status: 'cancelled' }>('cancelMessage');

export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');
export const cancelSignal = defineSignal('cancel');
/** A child SMS tells its batch it has left the provider stage (sent or failed), freeing a window slot. */
export const slotReleasedSignal = defineSignal<[string]>('slotReleased');
export const progressQuery = defineQuery<BulkProgress>('progress');
