import { ApplicationFailure, log } from '@temporalio/activity';
import type { Repositories } from '../db';
import { FINISHED_BATCH_STATUSES } from '../db/batches';
import type { NewMessage } from '../db/messages';
import type { SmsTemplate } from '../db/templates';
import { uuidFrom } from '../domain/ids';
import { heldByQuietHours, nextAllowedTime, nextQuietStart, type QuietWindow } from '../domain/quietHours';
import type { MessageType } from '../domain/sms';
import { admitWithinBudget, MAX_REPORTED_REJECTIONS } from '../services/bulkIntake';
import type { PhoneBudget } from '../services/phoneBudget';
import { composeMessage, renderWithTemplate, type RenderedMessage } from '../services/templateRendering';
import { senderOf } from '../services/messageIdentity';
import type { SendPlanner } from '../services/sendPlanning';
import { cancelMessage } from './bookkeeping';
import type { BulkActivities, InFlightCancels } from './types';

/** Messages of a cancelled batch marked cancelled at once. */
const CANCEL_GROUP = 20;

/** Started messages of a cancelled batch asked to stop at the same time (a whole default window). */
const CANCEL_IN_FLIGHT_AT_ONCE = 100;

export interface BulkDeps {
  repos: Repositories;
  pageSize: number;
  window: number;
  defaultQuietHours: QuietWindow[];
  /** Per-number budget: each campaign run counts against it like any batch. */
  budget: PhoneBudget;
  /** One route plan for messages that start together (services/sendPlanning.ts). */
  planSends: SendPlanner['planSends'];
  /** Asks a started message to stop (temporal/starts.ts askMessageToCancel). */
  askToCancel: (messageId: string, updateId: string) => Promise<'cancelled' | 'too_late' | 'ended'>;
}

/**
 * Asks a cancelled batch's started messages to stop, up to a default window's worth at once: a call still queued is
 * dropped as soon as its cancel is accepted, while the provider worker keeps taking queued calls, so nobody waits
 * behind a slow answer. Each answer waits until its cancel is stored, or refused because a running call got the
 * message through.
 */
export async function askStartedToCancel(batchId: string, messageIds: string[], askToCancel: BulkDeps['askToCancel']): Promise<InFlightCancels> {
  const outcomes: InFlightCancels = { cancelled: 0, tooLate: 0, ended: 0 };
  const counted = { cancelled: 'cancelled', too_late: 'tooLate', ended: 'ended' } as const;
  let next = 0;
  const askInTurn = async () => {
    while (next < messageIds.length) outcomes[counted[await askToCancel(messageIds[next++], `batch-cancel:${batchId}`)]] += 1;
  };
  await Promise.all(Array.from({ length: Math.min(CANCEL_IN_FLIGHT_AT_ONCE, messageIds.length) }, askInTurn));
  return outcomes;
}

export const batchMessageId = (batchId: string, index: number): string => `${batchId}-${index}`;

/** Activities of the batch workflow: its plan, its pages of messages, its status, and the quiet-hours gate. */
export function createBulkActivities({ repos, pageSize, window, defaultQuietHours, budget, planSends, askToCancel }: BulkDeps): BulkActivities {
  const loadBatch = async (batchId: string) => {
    const batch = await repos.batches.get(batchId);
    if (!batch) throw ApplicationFailure.nonRetryable(`batch ${batchId} not found`, 'BatchNotFound');
    return batch;
  };

  return {
    async planBatch({ batchId }) {
      const batch = await loadBatch(batchId);
      return {
        total: batch.total,
        scheduledAtMs: batch.scheduled_at?.getTime(),
        respectQuietHours: heldByQuietHours(batch.message_type, batch.respect_quiet_hours),
        messageType: batch.message_type,
        pageSize,
        window,
      };
    },

    async prepareBatchPage({ batchId, fromIndex, limit }) {
      const batch = await loadBatch(batchId);
      const recipients = await repos.batches.page(batchId, fromIndex, limit);
      const template = batch.template_code ? await repos.templates.getByCode(batch.template_code) : null;
      const messages: NewMessage[] = recipients.map((r) => {
        const id = batchMessageId(batchId, r.index);
        const text = renderRecipient(batch.message, r, template, id);
        const message = composeMessage({
          id,
          phone: r.phone,
          rendered: text.ok ? text.rendered : { body: '' },
          messageType: batch.message_type as MessageType,
          metadata: { batch_name: batch.name },
          batchId,
        });
        // The batch's creator sent it (a campaign's scheduled runs are `campaign:<id>`).
        return {
          ...message,
          sent_by: senderOf(batch.created_by),
          ...(batch.callback ? { callback: batch.callback } : {}),
          ...(batch.respect_quiet_hours ? { respect_quiet_hours: true } : {}),
          ...(text.ok ? {} : { render_error: text.error }),
        };
      });
      // Stored with the rest and started like them: its workflow fails it, with its callback and counts as usual.
      const unrenderable = messages.filter((m) => m.render_error).length;
      if (unrenderable > 0)
        log.warn('batch messages left without text: the template changed since the batch was accepted', { batchId, fromIndex, unrenderable });
      await repos.messages.insertManyIfAbsent(messages);
      return messages.map((m) => m._id);
    },

    async planPageSends({ batchId }) {
      // Planned as one segment: the page's messages differ in length, and each send checks its own.
      const { plan, skipped } = await planSends(1, (await loadBatch(batchId)).template_code);
      if (skipped.length) log.info('providers skipped for a batch page', { batchId, skipped });
      return plan;
    },

    async setBatchStatus({ batchId, status }) {
      const from = {
        running: ['scheduled', 'paused'],
        paused: ['running'],
        cancelled: ['scheduled', 'running', 'paused'],
        completed: ['running', 'paused'],
      } as const;
      await repos.batches.transition(batchId, [...from[status]], status);
      // A finished campaign run is no longer its campaign's to pause or cancel (a no-op for other batches).
      if (FINISHED_BATCH_STATUSES.includes(status)) await repos.campaignRuns.forget(batchId);
    },

    async cancelUnstarted({ messageIds }) {
      // A few at a time: at most two pages, and each cancel also moves counters and lists and may start a callback.
      for (let i = 0; i < messageIds.length; i += CANCEL_GROUP) await Promise.all(messageIds.slice(i, i + CANCEL_GROUP).map((id) => cancelMessage(repos, id)));
    },

    async cancelInFlight({ batchId, messageIds }) {
      const outcomes = await askStartedToCancel(batchId, messageIds, askToCancel);
      log.info('a cancelled batch took back the messages it had started', { batchId, ...outcomes });
      return outcomes;
    },

    async createCampaignBatch({ campaignId, runId }) {
      const campaign = await repos.campaigns.get(campaignId);
      if (!campaign) return null; // deleted after this run was scheduled: nothing to send
      // Switching a template off stops what uses it, a campaign's runs too (requests with it are refused already).
      if (campaign.template_code && !(await repos.templates.getByCode(campaign.template_code))?.is_active) {
        log.warn('campaign run skipped: its template is switched off or gone', { campaignId, templateCode: campaign.template_code });
        return null;
      }
      const batchId = uuidFrom(`campaign-run:${runId}`);
      // Recorded before the batch is stored, and the campaign read again after: a pause or delete meanwhile either
      // finds the stored batch and signals it, or is read here (db/campaigns.ts CampaignRunRepository).
      await repos.campaignRuns.record(campaignId, batchId);
      if (!(await repos.batches.get(batchId))) {
        // A run is a batch like any other: numbers over their budget are left out with the reason, the rest go.
        // A retry after a crash between counting and storing counts those numbers twice: stricter, never looser.
        const admittedAt = new Date();
        const list = { accepted: campaign.recipients, rejected: [], rowOf: campaign.recipients.map((r) => r.index) };
        const { accepted, rejected } = await admitWithinBudget(budget, list, campaign.message_type, admittedAt);
        const created = repos.batches.create(
          {
            _id: batchId,
            name: `${campaign.name} (${new Date().toISOString().slice(0, 16)})`,
            message_type: campaign.message_type,
            ...(campaign.template_code ? { template_code: campaign.template_code } : {}),
            ...(campaign.message ? { message: campaign.message } : {}),
            status: 'scheduled',
            total: accepted.length,
            rejected: rejected.length,
            ...(rejected.length ? { rejections: rejected.slice(0, MAX_REPORTED_REJECTIONS) } : {}),
            respect_quiet_hours: campaign.respect_quiet_hours,
            campaign_id: campaign._id,
            created_by: `campaign:${campaign._id}`,
            created_at: new Date(),
          },
          accepted,
        );
        await created.catch(async (err) => {
          await budget.giveBack(
            accepted.map((r) => r.phone.e164),
            campaign.message_type,
            admittedAt,
          );
          throw err;
        });
      }
      const now = await repos.campaigns.get(campaignId);
      // Deleted meanwhile: the batch starts cancelled (it sends nothing and ends, so its record says so).
      const state = !now ? { cancelled: true as const } : now.paused ? { paused: true as const } : {};
      return { batchId, messageType: campaign.message_type, ...state };
    },

    async quietGate() {
      const windows = await repos.settings.quietHours(defaultQuietHours);
      const now = new Date();
      const openAt = nextAllowedTime(now, windows);
      return { openAt: openAt.getTime(), closeAt: nextQuietStart(openAt, windows).getTime() };
    },
  };
}

/**
 * The text for one recipient: their own message, else the batch's, else the batch template with their data. The
 * batch was validated on intake; a template removed or edited since then so that it needs data this recipient lacks
 * fails that one message (not the page, which would stop the whole batch).
 */
function renderRecipient(
  batchMessage: string | undefined,
  r: { message?: string; template_data?: Record<string, string | number> },
  template: SmsTemplate | null,
  id: string,
): { ok: true; rendered: RenderedMessage } | { ok: false; error: { code: string; message: string } } {
  if (r.message ?? batchMessage) return { ok: true, rendered: { body: (r.message ?? batchMessage)! } };
  if (!template) return { ok: false, error: { code: 'template_missing', message: 'the batch template no longer exists' } };
  const outcome = renderWithTemplate(template, r.template_data ?? {}, id);
  if (!outcome.ok) return { ok: false, error: { code: 'template_data_missing', message: `template data missing: ${outcome.missing.join(', ')}` } };
  return outcome;
}
