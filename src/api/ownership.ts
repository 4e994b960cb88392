import type { SmsBatch } from '../db/batches';
import type { SmsMessage } from '../db/messages';
import { ownedByAnotherKey } from '../domain/orderEvents';
import type { OrderTimeline } from '../workflows/orderNotifications';
import { ApiError } from '../errors';
import type { Principal } from './auth';

/**
 * Whose messages and batches a principal reads: a sender (a client system's key) only its own, since shared reads
 * would show other clients' customers and campaigns; admins and viewers (LuckyGas's operators) all of them.
 * Undefined means all.
 */
export function ownedBy(principal: Principal): string | undefined {
  return principal.role === 'sender' ? principal.id : undefined;
}

/** A message the principal may read; another client's is answered as absent, as the log leaves it out. */
export function readableMessage(message: SmsMessage | null, principal: Principal): SmsMessage {
  const owner = ownedBy(principal);
  if (!message || (owner !== undefined && message.sent_by?.id !== owner)) throw new ApiError(404, 'not_found', 'No message with this id');
  return message;
}

/** A batch the principal may read; another client's is answered as absent, as the list leaves it out. */
export function readableBatch(batch: SmsBatch | null, principal: Principal): SmsBatch {
  const owner = ownedBy(principal);
  if (!batch || (owner !== undefined && batch.created_by !== owner)) throw new ApiError(404, 'not_found', 'No batch with this id');
  return batch;
}

/**
 * An order the principal may read: a sender sees an order another sender key owns as absent. Orders no sender key
 * has posted to yet (posted by an admin, or before orders had owners) are read by all, as before.
 */
export function readableOrder(timeline: OrderTimeline | null, principal: Principal): OrderTimeline {
  if (!timeline || ownedByAnotherKey(timeline.owner, ownedBy(principal)))
    throw new ApiError(404, 'not_found', "No order with this id (or its history is past Temporal's retention)");
  return timeline;
}
