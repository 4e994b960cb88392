import type { Client } from '@temporalio/client';
import type { MessageRepository, SmsMessage } from '../../src/db/messages';
import { SmsCancellation } from '../../src/services/smsCancel';

/** How long the cancel route lets Temporal take to answer, for a given provider timeout. */
async function waitAllowed(providerTimeoutMs: number): Promise<number> {
  const message = { _id: 'm1', status: 'sending' } as SmsMessage;
  let allowed = 0;
  const client = {
    connection: {
      withDeadline: async (deadline: number, call: () => Promise<unknown>) => {
        allowed = deadline - Date.now();
        return call();
      },
    },
    workflow: { getHandle: () => ({ executeUpdate: async () => ({ status: 'cancelled' }) }) },
  } as unknown as Client;
  const messages = { findById: async () => ({ ...message, status: 'cancelled' }) } as unknown as MessageRepository;
  await new SmsCancellation(messages, client, providerTimeoutMs).cancel(message);
  return allowed;
}

describe('the cancel route waiting for a message being sent', () => {
  it('waits out a provider call under way, however long the provider timeout is set', async () => {
    expect(await waitAllowed(10_000)).toBeGreaterThan(14_000); // the default timeout
    expect(await waitAllowed(30_000)).toBeGreaterThan(34_000);
  });
});
