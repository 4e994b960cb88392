import { continueAsNew, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { DayCursor, RetentionActivities, RetentionCounts, RetentionPlan } from '../activities/retention';
import { monthsEndingBetween, nextDay } from '../domain/retention';

const steps = proxyActivities<RetentionActivities>({ startToCloseTimeout: '10 minutes', retry: { maximumAttempts: 5 } });
// Clears webhook_events and counter collections with filters FerretDB answers by scanning: allowed more time.
const { finishRetention } = proxyActivities<RetentionActivities>({ startToCloseTimeout: '30 minutes', retry: { maximumAttempts: 3 } });

export { RETENTION_SCHEDULE_ID } from '../domain/retention';

/** Activities per run before continuing as new, so a first run over a year of days keeps a small history. */
const STEPS_PER_RUN = 300;

export interface RetentionProgress {
  plan: RetentionPlan;
  /** The day being purged, or the next one to look at; the stored watermark trails it by at most that day. */
  day: string;
  /** Set while a day's messages are being purged: where its next page starts and the batches seen so far. */
  inDay?: { cursor?: DayCursor; batchIds: string[] };
  counts: RetentionCounts;
}

const noCounts = (): RetentionCounts => ({ days: 0, messages: 0, lookup_docs: 0, keyed_lists: 0, recipient_chunks: 0, webhook_events: 0, counters: 0 });

/**
 * One retention run (a Temporal Schedule starts it daily): for each UTC day past retention, anonymise its messages
 * a page at a time, then drop the day's lookup lists; drop the phone and order lists of months that have fully left
 * retention; then clear old receipts and counters and record the run in the audit log. Progress lives in the stored
 * watermark, so an interrupted run is finished by the next one, and every step is safe to repeat.
 */
export async function retentionWorkflow(input: { progress?: RetentionProgress } = {}): Promise<RetentionCounts> {
  const p: RetentionProgress = input.progress ?? (await begin());
  let taken = 0;
  const step = async <T>(run: () => Promise<T>): Promise<T> => {
    if (taken >= STEPS_PER_RUN || workflowInfo().continueAsNewSuggested) await continueAsNew<typeof retentionWorkflow>({ progress: p });
    taken += 1;
    return run();
  };
  // Moves the watermark, first dropping the lists of months that end before it (their days are all purged).
  const moveTo = async (day: string) => {
    for (const month of monthsEndingBetween(p.day, day)) {
      for (;;) {
        const page = await step(() => steps.dropKeyedListsPage({ month }));
        p.counts.keyed_lists += page.lists;
        if (page.done) break;
      }
    }
    await step(() => steps.setWatermark({ day }));
    p.day = day;
  };

  while (p.day < p.plan.untilDay) {
    if (!p.inDay) {
      const found = await step(() => steps.findNextDay({ fromDay: p.day, untilDay: p.plan.untilDay }));
      if (!found.day) {
        await moveTo(found.scannedTo);
        continue;
      }
      if (found.day !== p.day) await moveTo(found.day);
      p.inDay = { batchIds: [] };
    }
    const inDay = p.inDay;
    const page = await step(() => steps.purgeMessagesPage({ day: p.day, cutoffMs: p.plan.cutoffMs, cursor: inDay.cursor }));
    p.counts.messages += page.purged;
    inDay.batchIds = [...new Set([...inDay.batchIds, ...page.batchIds])];
    inDay.cursor = page.next;
    if (page.next) continue;
    const dropped = await step(() => steps.dropDayLookups({ day: p.day, batchIds: inDay.batchIds }));
    p.counts.lookup_docs += dropped.lookupDocs;
    p.counts.recipient_chunks += dropped.recipientChunks;
    p.counts.days += 1;
    p.inDay = undefined;
    await moveTo(nextDay(p.day));
  }
  for (;;) {
    const cleaned = await step(() => steps.cleanOutcomeCounters({}));
    p.counts.counters += cleaned.dropped;
    if (cleaned.done) break;
  }
  return finishRetention({ plan: p.plan, counts: p.counts });

  async function begin(): Promise<RetentionProgress> {
    const plan = await steps.planRetention({});
    return { plan, day: plan.fromDay, counts: noCounts() };
  }
}
