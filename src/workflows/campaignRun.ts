import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { ParentClosePolicy, patched, proxyActivities, startChild, workflowInfo } from '@temporalio/workflow';
import type { BulkActivities } from '../activities/types';
import { SmsBatchIdKey, SmsMessageTypeKey, SmsStatusKey } from '../temporal/searchAttributes';
import { bulkSmsWorkflow, bulkWorkflowId } from './bulkSms';

const activities = proxyActivities<BulkActivities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

export const campaignScheduleId = (campaignId: string): string => `campaign-${campaignId}`;

/**
 * Patch id: the campaign's pause, unpause or delete reached this run's batch before the run started it, and started
 * it with that signal (services/campaigns.ts): the run joins that batch. Before it, the run failed.
 */
export const JOIN_STARTED_BATCH = 'campaign-run-joins-started-batch';

/** One run of a campaign's Temporal Schedule: turns the campaign into a new batch and starts that batch. */
export async function campaignRunWorkflow({ campaignId }: { campaignId: string }): Promise<{ batchId?: string }> {
  const created = await activities.createCampaignBatch({ campaignId, runId: workflowInfo().workflowId });
  if (!created) return {};
  try {
    await startChild(bulkSmsWorkflow, {
      workflowId: bulkWorkflowId(created.batchId),
      // Paused since the run began: the batch starts paused, and records so once it has prepared its first page.
      // Deleted: it starts cancelled, and ends at once.
      args: [
        {
          batchId: created.batchId,
          ...(created.paused ? { paused: true, reportedPaused: false } : {}),
          ...(created.cancelled ? { cancelled: true } : {}),
        },
      ],
      // The batch outlives this short run; it is observed on its own.
      parentClosePolicy: ParentClosePolicy.ABANDON,
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      typedSearchAttributes: [
        { key: SmsBatchIdKey, value: created.batchId },
        { key: SmsMessageTypeKey, value: created.messageType },
        { key: SmsStatusKey, value: 'scheduled' },
      ],
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError) || !patched(JOIN_STARTED_BATCH)) throw err;
  }
  return { batchId: created.batchId };
}
