import { heartbeat, log } from '@temporalio/activity';
import type { Repositories } from '../db';
import type { DayCursor } from '../db/lookupRetention';
import { groups } from '../db/lookupRetention';
import { orderRefOf } from '../db/messageAggregates';
import type { RetentionCounts } from '../db/retention';
import { dayOf, family, monthOf, type Family } from '../domain/lookupKeys';
import { FIRST_RUN_LOOKBACK_DAYS, RETENTION_AUDIT_ACTION, addDays, retentionCutoff } from '../domain/retention';
import { FINAL_STATUSES, MESSAGE_TYPES, PROVIDER_NAMES, SMS_STATUSES } from '../domain/sms';

export type { DayCursor } from '../db/lookupRetention';
export type { RetentionCounts } from '../db/retention';

export interface RetentionDeps {
  repos: Repositories;
  retentionDays: number;
}

/** What one run works towards, decided once at its start (the workflow carries it across continue-as-new). */
export interface RetentionPlan {
  cutoffMs: number;
  /** First UTC day to walk (the stored watermark). */
  fromDay: string;
  /** First UTC day not entirely older than the cutoff: the walk stops before it. */
  untilDay: string;
}

export interface RetentionActivities {
  planRetention(input: Record<string, never>): Promise<RetentionPlan>;
  findNextDay(input: { fromDay: string; untilDay: string }): Promise<{ day?: string; scannedTo: string }>;
  purgeMessagesPage(input: { day: string; cutoffMs: number; cursor?: DayCursor }): Promise<{ purged: number; batchIds: string[]; next?: DayCursor }>;
  dropDayLookups(input: { day: string; batchIds: string[] }): Promise<{ lookupDocs: number; recipientChunks: number }>;
  dropKeyedListsPage(input: { month: string }): Promise<{ lists: number; done: boolean }>;
  setWatermark(input: { day: string }): Promise<void>;
  cleanOutcomeCounters(input: Record<string, never>): Promise<{ dropped: number; done: boolean }>;
  finishRetention(input: { plan: RetentionPlan; counts: RetentionCounts }): Promise<RetentionCounts>;
}

/** Entries per purge page: a page is whole chunks, so it ends up between this and one chunk more. */
const PAGE_ENTRIES = 500;
const MESSAGE_GROUP = 50;
/** Days looked at per findNextDay: an empty day costs two point reads. */
const SCAN_DAYS = 120;
const DAY_MS = 24 * 3600_000;
/** How long a receipt waits in sms_early_receipts for its send to be recorded. */
const EARLY_RECEIPT_DAYS = 2;
const MINUTES_PER_DAY = 1440;

/** Retention: each activity is one bounded step (a page of messages, a day of lists, a page of a month's lists). */
export function createRetentionActivities({ repos, retentionDays }: RetentionDeps): RetentionActivities {
  return {
    async planRetention() {
      const cutoffMs = retentionCutoff(Date.now(), retentionDays);
      const state = await repos.retention.state();
      return { cutoffMs, fromDay: state?.watermark_day ?? dayOf(cutoffMs - FIRST_RUN_LOOKBACK_DAYS * DAY_MS), untilDay: dayOf(cutoffMs) };
    },

    async findNextDay({ fromDay, untilDay }) {
      const days: string[] = [];
      for (let d = fromDay; d < untilDay && days.length < SCAN_DAYS; d = addDays(d, 1)) days.push(d);
      for (const group of groups(days, 8)) {
        const listed = await Promise.all(group.map((d) => repos.lookupRetention.dayHasEntries(family.all(), d)));
        const i = listed.indexOf(true);
        if (i >= 0) return { day: group[i], scannedTo: group[i] };
      }
      return { scannedTo: days.length ? addDays(days[days.length - 1], 1) : fromDay };
    },

    async purgeMessagesPage({ day, cutoffMs, cursor }) {
      const { entries, next } = await repos.lookupRetention.dayPage(family.all(), day, PAGE_ENTRIES, cursor);
      const pageKey = `${day}|${cursor ? `${cursor.slot}|${cursor.tag}|${cursor.k}` : 'first'}`;
      const batchIds = new Set<string>();
      let purged = 0;
      for (const ids of groups([...new Set(entries.map((e) => e.id))], MESSAGE_GROUP)) {
        // An entry listed under an older time than its message's own creation never makes a newer message due.
        const found = (await repos.messages.findSummaries(ids)).filter((m) => m.created_at.getTime() < cutoffMs);
        for (const m of found) if (m.batch_id) batchIds.add(m.batch_id);
        // Never one still to be sent or waiting for its receipt (a batch paused for longer than retention): it would
        // go out with its text and number gone. Such a message keeps them, and is logged for an operator to end.
        const unfinished = found.filter((m) => !FINAL_STATUSES.includes(m.status));
        if (unfinished.length)
          log.warn('retention left unfinished messages past the cutoff as they are', {
            day,
            messageIds: unfinished.map((m) => m._id).slice(0, 20),
            count: unfinished.length,
          });
        const due = found.filter((m) => !m.purged_at && FINAL_STATUSES.includes(m.status));
        // Numbers and order refs are remembered before anonymising removes them: their month lists go later.
        const byMonth = new Map<string, Set<string>>();
        for (const m of due) {
          const names = byMonth.get(monthOf(m.created_at.getTime())) ?? new Set<string>();
          names.add(family.phone(m.phone_e164).name);
          const ref = orderRefOf(m);
          if (ref) names.add(family.orderRef(ref).name);
          byMonth.set(monthOf(m.created_at.getTime()), names);
        }
        for (const [month, names] of byMonth) await repos.retention.rememberKeyedLists(month, pageKey, [...names]);
        purged += await repos.messages.anonymise(due);
        heartbeat();
      }
      return { purged, batchIds: [...batchIds], next };
    },

    async dropDayLookups({ day, batchIds }) {
      const templates = await repos.templates.list({});
      const families: Family[] = [
        ...SMS_STATUSES.map(family.status),
        ...PROVIDER_NAMES.map(family.provider),
        ...MESSAGE_TYPES.map(family.messageType),
        ...templates.map((t) => family.template(t.code)),
        ...batchIds.map(family.batch),
        // Last: the walk finds a day by this family, so an interrupted drop is redone by the next run.
        family.all(),
      ];
      let lookupDocs = 0;
      for (const f of families) {
        lookupDocs += await repos.lookupRetention.dropDay(f, day);
        heartbeat();
      }
      let recipientChunks = 0;
      for (const batchId of batchIds) recipientChunks += await repos.batches.dropRecipients(batchId);
      return { lookupDocs, recipientChunks };
    },

    async dropKeyedListsPage({ month }) {
      const page = await repos.retention.nextKeyedPage(month);
      if (!page) return { lists: 0, done: true };
      let lists = 0;
      for (const names of groups(page.names, 16)) {
        const dropped = await Promise.all(names.map((name) => repos.lookupRetention.dropMonth({ name, timed: false }, month)));
        lists += dropped.filter((n) => n > 0).length;
        heartbeat();
      }
      await repos.retention.forgetKeyedPage(month, page.pageId);
      return { lists, done: false };
    },

    async setWatermark({ day }) {
      await repos.retention.setWatermark(day);
    },

    async cleanOutcomeCounters() {
      // Alert windows read minutes; two days back is far beyond any window. A day of minutes per call (about 1 440
      // point reads); a first run starts one day back, as the daily schedule then keeps up one day at a time.
      const horizon = Math.floor((Date.now() - 2 * DAY_MS) / 60_000);
      const from = (await repos.retention.state())?.outcomes_cleaned_minute ?? horizon - MINUTES_PER_DAY;
      const to = Math.min(from + MINUTES_PER_DAY, horizon);
      const dropped = to > from ? await repos.rollups.dropOutcomes(from, to) : 0;
      if (to > from) await repos.retention.setOutcomesCleaned(to);
      return { dropped, done: to >= horizon };
    },

    async finishRetention({ plan, counts }) {
      const now = Date.now();
      const [webhookEvents, opsCounters, rateCounters, earlyReceipts] = await Promise.all([
        repos.webhookEvents.deleteReceivedBefore(new Date(plan.cutoffMs)),
        repos.alerts.deleteEventCountsBefore(new Date(now - DAY_MS)),
        repos.rateCounters.deleteExpired(new Date(now)),
        // A send records itself within minutes (or fails); a receipt held for days has no send of ours to wait for.
        repos.earlyReceipts.deleteHeldBefore(new Date(now - EARLY_RECEIPT_DAYS * DAY_MS)),
      ]);
      const total = { ...counts, webhook_events: webhookEvents, early_receipts: earlyReceipts, counters: counts.counters + opsCounters + rateCounters };
      await repos.retention.recordRun(total);
      await repos.audit.record({
        actor: 'system',
        action: RETENTION_AUDIT_ACTION,
        target: { type: 'retention', id: plan.untilDay },
        after: { ...total, cutoff: new Date(plan.cutoffMs).toISOString(), from_day: plan.fromDay, until_day: plan.untilDay, retention_days: retentionDays },
      });
      return total;
    },
  };
}
