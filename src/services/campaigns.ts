import { randomUUID } from 'node:crypto';
import { ScheduleAlreadyRunning, ScheduleNotFoundError, type Client } from '@temporalio/client';
import type { SignalDefinition } from '@temporalio/common';
import { FINISHED_BATCH_STATUSES, type BatchRepository } from '../db/batches';
import type { Campaign, CampaignRepository, CampaignRunRepository } from '../db/campaigns';
import type { TemplateRepository } from '../db/templates';
import { isDuplicateKey } from '../db/upsert';
import { SMS_TASK_QUEUE, type MessageType } from '../domain/sms';
import { DomainError } from '../domain/errors';
import { signalBatchWorkflow } from '../temporal/starts';
import { campaignRunWorkflow, campaignScheduleId, cancelSignal, pauseSignal, resumeSignal } from '../workflows';
import { MAX_CAMPAIGN_RECIPIENTS, MAX_REPORTED_REJECTIONS, checkBatchContent, screen, type Rejection } from './bulkIntake';
import { campaignIdForKey, keyReused, requestFingerprint } from './messageIdentity';
import type { ContentPolicyService } from './contentPolicy';
import { activeTemplate } from './templateRendering';

export const CAMPAIGN_TIMEZONE = 'Asia/Taipei';

export type CampaignAction = 'pause' | 'unpause' | 'trigger' | 'delete';

export interface CampaignRequest {
  name: string;
  cron: string[];
  messageType: MessageType;
  templateCode?: string;
  message?: string;
  respectQuietHours: boolean;
  recipients: unknown[];
  principalId: string;
  idempotencyKey?: string;
}

/** `repeated`: answered from the campaign a keyed request stored before. */
export interface CampaignCreated {
  campaign: Campaign;
  rejected: Rejection[];
  repeated: boolean;
}

/** Recurring campaigns as Temporal Schedules in Asia/Taipei; each run becomes a batch of its own. */
export class CampaignService {
  constructor(
    private readonly campaigns: CampaignRepository,
    private readonly runs: CampaignRunRepository,
    private readonly batches: BatchRepository,
    private readonly templates: TemplateRepository,
    private readonly temporal: Client,
    private readonly policy: ContentPolicyService,
  ) {}

  /**
   * Stores the campaign, then creates its schedule. With an Idempotency-Key the campaign's id follows from the key,
   * so a repeat (after a timeout, or a 503 once the campaign was stored) answers the campaign stored first, and
   * creates its schedule if the first request stopped before it: never a second campaign texting the same list.
   */
  async create(request: CampaignRequest): Promise<CampaignCreated> {
    if (request.recipients.length > MAX_CAMPAIGN_RECIPIENTS)
      throw new DomainError('too_large', 'payload_too_large', `A campaign list takes at most ${MAX_CAMPAIGN_RECIPIENTS} recipients`);
    const key = request.idempotencyKey;
    const id = key === undefined ? randomUUID() : campaignIdForKey(request.principalId, key);
    const fingerprint = key === undefined ? undefined : fingerprintOf(request);
    if (fingerprint) {
      const earlier = await this.campaigns.get(id);
      if (earlier) return this.repeat(earlier, fingerprint);
    }
    const template = request.templateCode ? await activeTemplate(this.templates, request.templateCode) : null;
    // Checked as a batch is, once here: each run sends what was stored.
    const { message, checkText } = await checkBatchContent(this.policy, request, template);
    const { accepted, rejected } = screen({ ...request, message }, template, id, undefined, checkText);
    if (accepted.length === 0)
      throw new DomainError(
        'invalid',
        'validation_failed',
        'recipients: no recipient can be sent to',
        rejected.slice(0, 50).map((r) => ({ field: `recipients.${r.index}`, message: r.reason })),
      );
    const campaign: Campaign = {
      _id: id,
      name: request.name,
      cron: request.cron,
      message_type: request.messageType,
      ...(request.templateCode ? { template_code: request.templateCode } : {}),
      ...(message ? { message } : {}),
      respect_quiet_hours: request.respectQuietHours,
      recipients: accepted,
      ...(fingerprint ? { idempotency_fingerprint: fingerprint, rejections: rejected.slice(0, MAX_REPORTED_REJECTIONS) } : {}),
      created_by: request.principalId,
      created_at: new Date(),
    };
    try {
      await this.campaigns.create(campaign);
    } catch (err) {
      if (!fingerprint || !isDuplicateKey(err)) throw err;
      // The same key at the same moment: the other request stored it. Or the key's campaign was deleted since.
      const earlier = await this.campaigns.get(id);
      if (earlier) return this.repeat(earlier, fingerprint);
      throw new DomainError('conflict', 'idempotency_key_reused', "This Idempotency-Key's campaign was deleted; use a new key");
    }
    try {
      await this.schedule(campaign);
    } catch (err) {
      // A refused expression was never scheduled, so nothing refers to the campaign. A keyed one that failed for
      // another reason stays: the server may have created the schedule after all, and a repeat of the key finishes it.
      const invalid = err instanceof DomainError && err.kind === 'invalid';
      if (invalid || !fingerprint) await this.campaigns.remove(id).catch(() => undefined);
      throw err;
    }
    return { campaign, rejected, repeated: false };
  }

  /** A repeat of a keyed create: the campaign stored first, scheduled now if the first request stopped before that. */
  private async repeat(earlier: Campaign, fingerprint: string): Promise<CampaignCreated> {
    if (earlier.idempotency_fingerprint !== fingerprint) throw keyReused();
    await this.schedule(earlier);
    return { campaign: earlier, rejected: earlier.rejections ?? [], repeated: true };
  }

  /** Creates the campaign's schedule; one that already exists (created by an earlier try) is the one. */
  private async schedule(campaign: Campaign): Promise<void> {
    try {
      await this.temporal.schedule.create({
        scheduleId: campaignScheduleId(campaign._id),
        spec: { cronExpressions: campaign.cron, timezone: CAMPAIGN_TIMEZONE },
        action: { type: 'startWorkflow', workflowType: campaignRunWorkflow, args: [{ campaignId: campaign._id }], taskQueue: SMS_TASK_QUEUE },
        memo: { campaign: campaign.name },
      });
    } catch (err) {
      if (err instanceof ScheduleAlreadyRunning) return;
      // The client's own type for a spec the server refused ("Invalid schedule spec: …"); its reason names the field.
      if (err instanceof TypeError) {
        const problem = `is not a valid cron expression (${err.message.slice(0, 200)})`;
        throw new DomainError('invalid', 'validation_failed', `cron: ${problem}`, [{ field: 'cron', message: problem }]);
      }
      throw new DomainError('unavailable', 'temporarily_unavailable', 'The campaign could not be scheduled right now; retry', undefined, 5);
    }
  }

  async describe(campaign: Campaign) {
    const schedule = await this.temporal.schedule.getHandle(campaignScheduleId(campaign._id)).describe();
    return {
      paused: schedule.state.paused,
      next_runs: schedule.info.nextActionTimes.slice(0, 3).map((d) => d.toISOString()),
      recent_runs: schedule.info.recentActions.map((a) => ({ at: a.takenAt.toISOString(), workflow_id: a.action.workflow.workflowId })),
    };
  }

  /**
   * Pause, unpause and delete reach the campaign's runs in progress too: a paused campaign sends nothing, a run
   * waiting for allowed hours included, until it is unpaused; a deleted one sends nothing more. The campaign is
   * changed before its runs are read, so a run starting meanwhile either has its batch stored and signalled here,
   * or reads the change itself (db/campaigns.ts CampaignRunRepository). Each step can be repeated: a request that
   * failed half-way is finished by its retry. Answers the batches it paused, resumed or cancelled.
   */
  async act(campaignId: string, action: CampaignAction): Promise<{ batches: string[] }> {
    const schedule = this.temporal.schedule.getHandle(campaignScheduleId(campaignId));
    switch (action) {
      case 'trigger':
        if ((await schedule.describe()).state.paused)
          throw new DomainError('conflict', 'campaign_paused', 'The campaign is paused: unpause it before running it now');
        await schedule.trigger();
        return { batches: [] };
      case 'pause':
        // The schedule first: should the rest fail, no new run starts, and the retry pauses those in progress.
        await schedule.pause('paused through the API');
        await this.campaigns.setPaused(campaignId, true);
        return { batches: await this.signalRuns(campaignId, pauseSignal) };
      case 'unpause':
        // The campaign first: a run the schedule starts must not find it still paused.
        await this.campaigns.setPaused(campaignId, false);
        await schedule.unpause('resumed through the API');
        return { batches: await this.signalRuns(campaignId, resumeSignal) };
      case 'delete':
        await this.campaigns.markDeleted(campaignId);
        await schedule.delete().catch((err) => {
          if (!(err instanceof ScheduleNotFoundError)) throw err;
        });
        return { batches: await this.signalRuns(campaignId, cancelSignal) };
    }
  }

  /** Signals the stored, unfinished batch of each run in progress; forgets runs found finished. Answers those signalled. */
  private async signalRuns(campaignId: string, signal: SignalDefinition<[]>): Promise<string[]> {
    const signalled: string[] = [];
    for (const batchId of await this.runs.ofCampaign(campaignId)) {
      const batch = await this.batches.get(batchId);
      // Not stored yet: its run reads the campaign once it has stored it.
      if (!batch) continue;
      const outcome = FINISHED_BATCH_STATUSES.includes(batch.status) ? 'finished' : await signalBatchWorkflow(this.temporal, batch, signal);
      if (outcome === 'finished') await this.runs.forget(batchId);
      else signalled.push(batchId);
    }
    return signalled;
  }
}

/** The create as a repeat must match it, recipients included. */
function fingerprintOf(r: CampaignRequest): string {
  return requestFingerprint([r.name, r.cron, r.messageType, r.templateCode ?? null, r.message ?? null, r.respectQuietHours, r.recipients]);
}
