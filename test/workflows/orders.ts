import { WithStartWorkflowOperation } from '@temporalio/client';
import type { OrderEventName } from '../../src/domain/orderEvents';
import { orderWorkflowId } from '../../src/domain/orderEvents';
import { SMS_TASK_QUEUE } from '../../src/domain/sms';
import { orderEventUpdate, orderNotificationsWorkflow, orderTimelineQuery, type OrderWorkflowInput } from '../../src/workflows';
import type { Harness } from './harness';

/** Minutes after a fixed start, as ISO: tests name when each event happened. */
export const at = (minute: number): string => new Date(Date.UTC(2026, 10, 25, 6, minute)).toISOString();

/**
 * Posts one event the way services/orderNotifications.ts does (update-with-start), on the harness's task queue.
 * `eventId` defaults to one per order, event and time, like the API's.
 */
export function postEvent(
  h: Harness,
  orderId: string,
  event: OrderEventName,
  occurredAt: string,
  extra: { dueAt?: string; eventId?: string; sender?: string; options?: Omit<OrderWorkflowInput, 'orderId'> } = {},
) {
  const start = new WithStartWorkflowOperation(orderNotificationsWorkflow, {
    workflowId: orderWorkflowId(orderId),
    taskQueue: SMS_TASK_QUEUE,
    args: [{ orderId, ...extra.options }],
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: 'REJECT_DUPLICATE',
  });
  return h.client.workflow.executeUpdateWithStart(orderEventUpdate, {
    args: [
      {
        eventId: extra.eventId ?? `${orderId}-${event}-${occurredAt}`,
        event,
        occurredAt,
        ...(extra.dueAt ? { dueAt: extra.dueAt } : {}),
        ...(extra.sender ? { sender: extra.sender } : {}),
      },
    ],
    startWorkflowOperation: start,
  });
}

export const orderHandle = (h: Harness, orderId: string) => h.client.workflow.getHandle(orderWorkflowId(orderId));
export const timelineOf = (h: Harness, orderId: string) => orderHandle(h, orderId).query(orderTimelineQuery);
