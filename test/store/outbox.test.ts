import { randomUUID } from 'node:crypto';
import { TemporalOutbox } from '../../src/db/temporalOutbox';
import { withDb } from '../helpers';

describe('the Temporal outbox', () => {
  it('tells the request that wrote a start entry from a repeat that found it, so only the writer takes it back', async () => {
    await withDb(async (db) => {
      const outbox = new TemporalOutbox(db);
      const messageId = randomUUID();
      const entry = { _id: TemporalOutbox.startMessageId(messageId), kind: 'start_message' as const, message_id: messageId, queued_at: new Date() };
      expect(await Promise.all([outbox.add(entry), outbox.add(entry)])).toEqual(expect.arrayContaining([true, false]));
      expect(await outbox.add(entry)).toBe(false);
      await outbox.remove(entry._id);
      expect(await outbox.add(entry)).toBe(true);
      await outbox.remove(entry._id);
    });
  });

  it('removes an entry as the relay read it, and keeps one written again since', async () => {
    await withDb(async (db) => {
      const outbox = new TemporalOutbox(db);
      const messageId = randomUUID();
      const entry = {
        _id: TemporalOutbox.startMessageId(messageId),
        kind: 'start_message' as const,
        message_id: messageId,
        queued_at: new Date(Date.now() - 120_000),
      };
      await outbox.put(entry);
      const read = (await outbox.get(entry._id))!;
      await outbox.put({ ...entry, queued_at: new Date() });
      await outbox.removeIfUnchanged(read);
      expect(await outbox.get(entry._id)).toMatchObject({ message_id: messageId });
      await outbox.removeIfUnchanged((await outbox.get(entry._id))!);
      expect(await outbox.get(entry._id)).toBeNull();
    });
  });
});
