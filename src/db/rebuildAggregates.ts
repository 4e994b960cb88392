import type { Db } from 'mongodb';
import { MessageAggregates, MessageLists, countedState, countedView, sameCountedState } from './messageAggregates';
import type { SmsMessage } from './messageTypes';
import { contribution, rollupId, type RollupCell } from '../domain/rollups';

/** The rollup cells a set of messages adds up to (what incremental counting must equal), by document and cell. */
export function expectedRollups(messages: Iterable<SmsMessage>): Map<string, Record<string, RollupCell>> {
  const docs = new Map<string, Record<string, RollupCell>>();
  for (const m of messages) {
    for (const [docId, fields] of contribution(countedView(m), 1)) {
      const cells = docs.get(docId) ?? {};
      docs.set(docId, cells);
      for (const [path, v] of Object.entries(fields)) {
        const [, cellKey, ...rest] = path.split('.');
        let node: Record<string, any> = (cells[cellKey] ??= {});
        for (const key of rest.slice(0, -1)) node = node[key] ??= {};
        node[rest.at(-1)!] = (node[rest.at(-1)!] ?? 0) + v;
      }
    }
  }
  return docs;
}

/**
 * Recomputes the rollups and lookup lists from sms_messages (after an upgrade, or to repair drift left by a crash
 * between a message's write and its counters'). Reads the whole collection once: run it with the worker stopped,
 * since it rewrites the documents the worker owns. Alert-window outcome counters are left alone.
 */
export async function rebuildAggregates(db: Db, progress: (done: number) => void = () => undefined): Promise<number> {
  const rollups = db.collection<{ _id: string }>('sms_rollups');
  const figures = (await rollups.find({}, { projection: { _id: 1 } }).toArray()).map((d) => d._id).filter((id) => !id.startsWith('out|'));
  for (let i = 0; i < figures.length; i += 1_000) await rollups.deleteMany({ _id: { $in: figures.slice(i, i + 1_000) } });
  await db.collection('sms_lookups').deleteMany({});
  const lists = new MessageLists(db, 'worker');
  const aggregates = new MessageAggregates(db);
  const messages = db.collection<SmsMessage>('sms_messages');
  let done = 0;
  let page: SmsMessage[] = [];
  const flush = async () => {
    await Promise.all(page.flatMap((m) => [lists.addNew(m), aggregates.count(m)]));
    await Promise.all(page.map((m) => messages.updateOne({ _id: m._id }, { $set: { counted: countedState(m) } })));
    done += page.length;
    progress(done);
    page = [];
  };
  for await (const m of messages.find({}, { projection: { body: 0, events: 0, attempts: 0 } })) {
    page.push(m);
    if (page.length === 20_000) await flush();
  }
  await flush();
  return done;
}

/**
 * Recounts one batch's rollup from its messages, read by their ids (`<batch>-<index>`), for a batch whose counts a
 * crash left off by one (see docs/data-scale.md). Run it once the batch's messages are final, or with the workers
 * stopped: it replaces a document the worker writes.
 */
export async function recountBatch(db: Db, batchId: string, total: number): Promise<void> {
  const col = db.collection<SmsMessage>('sms_messages');
  const messages: SmsMessage[] = [];
  for (let i = 0; i < total; i += 200) {
    const ids = Array.from({ length: Math.min(200, total - i) }, (_, k) => `${batchId}-${i + k}`);
    const page = await Promise.all(ids.map((_id) => col.findOne({ _id }, { projection: { body: 0, events: 0, attempts: 0 } })));
    messages.push(...page.filter((m): m is SmsMessage => m !== null));
  }
  const unsettled = messages.filter((m) => m.counted && !sameCountedState(m.counted, countedState(m)));
  await Promise.all(unsettled.map((m) => col.updateOne({ _id: m._id }, { $set: { counted: countedState(m) } })));
  const cells = expectedRollups(messages).get(rollupId.batch(batchId)) ?? {};
  await db.collection<{ _id: string }>('sms_rollups').replaceOne({ _id: rollupId.batch(batchId) }, { cells }, { upsert: true });
}
