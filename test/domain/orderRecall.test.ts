import type { Repositories } from '../../src/db';
import type { SmsMessage } from '../../src/db/messages';
import { createOrderActivities } from '../../src/activities/orders';
import { DomainError } from '../../src/domain/errors';
import type { SmsCancellation } from '../../src/services/smsCancel';
import type { SmsIntake } from '../../src/services/smsIntake';

type Stored = Record<string, Pick<SmsMessage, '_id' | 'status'>>;

/**
 * The order workflow's recall as the worker runs it, over a store and a cancel that answer as scripted: what the
 * cancel route decides (services/smsCancel.ts, covered end to end) mapped to the two answers the workflow keeps.
 */
function recallWith(stored: Stored, cancel: (message: SmsMessage) => Promise<SmsMessage>) {
  const repos = { messages: { findById: async (id: string) => stored[id] ?? null } } as unknown as Repositories;
  const cancellation = { cancel } as unknown as SmsCancellation;
  return createOrderActivities({ repos, intake: {} as SmsIntake, cancellation }).recallOrderTexts;
}

const tooLate = new DomainError('conflict', 'not_cancellable', 'The message is already delivered');

describe('asking back an order text', () => {
  it('answers cancelled when the cancel wins, and too_late when a provider had it or the message is gone', async () => {
    const stored: Stored = { waiting: { _id: 'waiting', status: 'queued' }, sent: { _id: 'sent', status: 'delivered' } };
    const recall = recallWith(stored, async (m) => {
      if (m.status !== 'queued') throw tooLate;
      stored[m._id] = { ...m, status: 'cancelled' };
      return stored[m._id] as SmsMessage;
    });
    expect(await recall({ messageIds: ['waiting', 'sent', 'forgotten'] })).toEqual({ waiting: 'cancelled', sent: 'too_late', forgotten: 'too_late' });
  });

  it('answers cancelled again when a retried activity finds the message it cancelled (the cancel refuses an ended message)', async () => {
    const recall = recallWith({ m: { _id: 'm', status: 'cancelled' } }, async () => {
      throw tooLate;
    });
    expect(await recall({ messageIds: ['m'] })).toEqual({ m: 'cancelled' });
  });

  it('fails, to be retried, when Temporal cannot be reached', async () => {
    const recall = recallWith({ m: { _id: 'm', status: 'queued' } }, async () => {
      throw new DomainError('unavailable', 'temporal_unavailable', 'retry shortly');
    });
    await expect(recall({ messageIds: ['m'] })).rejects.toThrow('retry shortly');
  });
});
