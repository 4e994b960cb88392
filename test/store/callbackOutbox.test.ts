import { randomUUID } from 'node:crypto';
import type { SmsMessage } from '../../src/db/messages';
import { TemporalOutbox } from '../../src/db/temporalOutbox';
import type { SmsStatus } from '../../src/domain/sms';
import { statusCallbackId } from '../../src/domain/statusCallback';
import { StatusCallbacks } from '../../src/services/statusCallbacks';
import { withDb } from '../helpers';

const messageWithCallback = (id: string): SmsMessage =>
  ({ _id: id, status: 'queued', callback: { url: 'https://shop.example/sms-status', key_id: 'k1' } }) as unknown as SmsMessage;

describe('a status callback whose change was never stored', () => {
  it('is announced with the change that finally is stored under its sequence number, not the one that crashed', async () => {
    await withDb(async (db) => {
      const outbox = new TemporalOutbox(db);
      const callbacks = new StatusCallbacks(outbox);
      const before = messageWithCallback(randomUUID());
      const change = (status: SmsStatus) => callbacks.beforeStatusChange(before, { ...before, status }, new Date());
      // The send's step announced `sent` as callback 1, then its worker died before the message was written...
      expect((await change('sent'))?.set).toEqual({ callback_seq: 1, callback_status: 'sent' });
      // ...and the receipt came first, so the next stored change is `delivered`, also callback 1.
      expect((await change('delivered'))?.set).toEqual({ callback_seq: 1, callback_status: 'delivered' });
      // The relay starts what the entry holds once the message shows sequence 1: it must say `delivered`.
      const entry = await outbox.get(TemporalOutbox.startCallbackId(statusCallbackId(before._id, 1)));
      expect(entry).toMatchObject({ kind: 'start_callback', callback: { payload: { sequence: 1, status: 'delivered', previous_status: 'queued' } } });
      await outbox.remove(entry!._id);
    });
  });
});
