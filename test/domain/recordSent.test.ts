import type { Repositories } from '../../src/db';
import type { SmsMessage } from '../../src/db/messages';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createBookkeepingActivities, recordSent } from '../../src/activities/bookkeeping';

/** Just what recording a send touches: the message, the provider's day counter and its directory row. */
function fakeRepos(markSent: () => Promise<unknown>) {
  const counted: { provider: string; cost: number; points: number }[] = [];
  const message = { _id: 'm1', segments: 2, status: 'sending' } as unknown as SmsMessage;
  const repos = {
    messages: { findById: async () => message, markSent },
    providerHealth: {
      addSend: async (provider: string, _day: Date, cost: number, points: number) => (counted.push({ provider, cost, points }), { messages: 1, spend: cost }),
    },
    providerDirectory: { snapshot: async () => ({ rows: [] }) },
  } as unknown as Repositories;
  return { repos, counted };
}

const input = { messageId: 'm1', provider: 'mitake' as const, providerMessageId: 'P1', pricePerSegment: 0.75 };

describe('recording an accepted send', () => {
  it('counts the provider day before recording, so a failure in between is counted again, never lost', async () => {
    const failing = fakeRepos(async () => {
      throw new Error('store went away');
    });
    await expect(recordSent(failing.repos, input)).rejects.toThrow('store went away');
    expect(failing.counted).toEqual([{ provider: 'mitake', cost: 1.5, points: 2 }]);
  });

  it('counts nothing for a send already recorded', async () => {
    const { repos, counted } = fakeRepos(async () => undefined);
    const recorded = { _id: 'm1', segments: 2, status: 'sent', provider_message_id: 'P1' } as unknown as SmsMessage;
    await recordSent(repos, input, { known: recorded });
    expect(counted).toEqual([]);
  });

  it('counts nothing on a retry that must not count again (the workflow’s later attempts), and still records', async () => {
    let recordedTimes = 0;
    const { repos, counted } = fakeRepos(async () => void recordedTimes++);
    await recordSent(repos, input, { mayCharge: false });
    expect(counted).toEqual([]);
    expect(recordedTimes).toBe(1);
  });

  it('as the workflow’s activity, counts on the first attempt only', async () => {
    const counts: number[] = [];
    for (const attempt of [1, 2, 3]) {
      const { repos, counted } = fakeRepos(async () => undefined);
      const activities = createBookkeepingActivities({ repos, policy: {} as never });
      await new MockActivityEnvironment({ attempt }).run(activities.recordSent, input);
      counts.push(counted.length);
    }
    expect(counts).toEqual([1, 0, 0]);
  });
});

describe('cancelling from the workflow', () => {
  const withStore = (cancelled: boolean, stored: Partial<SmsMessage> | null) => {
    const calls: unknown[][] = [];
    const repos = {
      messages: { markCancelled: async (...args: unknown[]) => (calls.push(args), cancelled), findById: async () => stored },
    } as unknown as Repositories;
    return { calls, activities: createBookkeepingActivities({ repos, policy: {} as never }) };
  };

  it('tells the store the provider call is over, so a call its dead worker left open is closed with the cancel', async () => {
    const { calls, activities } = withStore(true, null);
    expect(await new MockActivityEnvironment().run(activities.markCancelled, { messageId: 'm1' })).toEqual({});
    expect(calls).toEqual([['m1', { openCallEnded: true }]]);
  });

  it('answers with the acceptance on record when the cancel came too late', async () => {
    const { activities } = withStore(false, { status: 'sent', provider: 'every8d', provider_message_id: 'B1' });
    expect(await new MockActivityEnvironment().run(activities.markCancelled, { messageId: 'm1' })).toEqual({
      acceptedBy: { provider: 'every8d', providerMessageId: 'B1' },
    });
    const ended = withStore(false, { status: 'delivered', provider: 'every8d', provider_message_id: 'B1' });
    expect(await new MockActivityEnvironment().run(ended.activities.markCancelled, { messageId: 'm1' })).toEqual({});
  });
});
