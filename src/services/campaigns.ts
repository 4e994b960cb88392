import { randomUUID } from 'node:crypto';
import { ScheduleNotFoundError, type Client } from '@temporalio/client';
import type { Campaign, CampaignRepository } from '../db/campaigns';
import type { TemplateRepository } from '../db/templates';
import { SMS_TASK_QUEUE, type MessageType } from '../domain/sms';
import { DomainError } from '../domain/errors';
import { campaignRunWorkflow, campaignScheduleId } from '../workflows';
import { MAX_CAMPAIGN_RECIPIENTS, checkBatchContent, screen, type Rejection } from './bulkIntake';
import type { ContentPolicyService } from './contentPolicy';
import { activeTemplate } from './templateRendering';

export const CAMPAIGN_TIMEZONE = 'Asia/Taipei';

export interface CampaignRequest {
  name: string;
  cron: string[];
  messageType: MessageType;
  templateCode?: string;
  message?: string;
  respectQuietHours: boolean;
  recipients: unknown[];
  principalId: string;
}

/** Recurring campaigns as Temporal Schedules in Asia/Taipei; each run becomes a batch of its own. */
export class CampaignService {
  constructor(
    private readonly campaigns: CampaignRepository,
    private readonly templates: TemplateRepository,
    private readonly temporal: Client,
    private readonly policy: ContentPolicyService,
  ) {}

  async create(request: CampaignRequest): Promise<{ campaign: Campaign; rejected: Rejection[] }> {
    if (request.recipients.length > MAX_CAMPAIGN_RECIPIENTS)
      throw new DomainError('too_large', 'payload_too_large', `A campaign list takes at most ${MAX_CAMPAIGN_RECIPIENTS} recipients`);
    const template = request.templateCode ? await activeTemplate(this.templates, request.templateCode) : null;
    const id = randomUUID();
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
      created_by: request.principalId,
      created_at: new Date(),
    };
    await this.campaigns.create(campaign);
    try {
      await this.temporal.schedule.create({
        scheduleId: campaignScheduleId(id),
        spec: { cronExpressions: request.cron, timezone: CAMPAIGN_TIMEZONE },
        action: { type: 'startWorkflow', workflowType: campaignRunWorkflow, args: [{ campaignId: id }], taskQueue: SMS_TASK_QUEUE },
        memo: { campaign: request.name },
      });
    } catch (err) {
      await this.campaigns.markDeleted(id);
      const invalidSpec = /invalid|cron/i.test((err as Error).message);
      if (invalidSpec)
        throw new DomainError('invalid', 'validation_failed', 'cron: Temporal rejected the schedule expression', [
          { field: 'cron', message: 'is not a valid cron expression' },
        ]);
      throw new DomainError('unavailable', 'temporarily_unavailable', 'The campaign could not be scheduled right now; retry', undefined, 5);
    }
    return { campaign, rejected };
  }

  async describe(campaign: Campaign) {
    const schedule = await this.temporal.schedule.getHandle(campaignScheduleId(campaign._id)).describe();
    return {
      paused: schedule.state.paused,
      next_runs: schedule.info.nextActionTimes.slice(0, 3).map((d) => d.toISOString()),
      recent_runs: schedule.info.recentActions.map((a) => ({ at: a.takenAt.toISOString(), workflow_id: a.action.workflow.workflowId })),
    };
  }

  async act(campaignId: string, action: 'pause' | 'unpause' | 'trigger' | 'delete'): Promise<void> {
    const handle = this.temporal.schedule.getHandle(campaignScheduleId(campaignId));
    try {
      if (action === 'pause') await handle.pause('paused through the API');
      if (action === 'unpause') await handle.unpause('resumed through the API');
      if (action === 'trigger') await handle.trigger();
      if (action === 'delete') await handle.delete();
    } catch (err) {
      if (!(err instanceof ScheduleNotFoundError) || action !== 'delete') throw err;
    }
    if (action === 'delete') await this.campaigns.markDeleted(campaignId);
  }
}
