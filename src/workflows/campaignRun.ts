import { ParentClosePolicy, proxyActivities, startChild, workflowInfo } from '@temporalio/workflow';
import type { BulkActivities } from '../activities/types';
import { SmsBatchIdKey, SmsMessageTypeKey, SmsStatusKey } from '../temporal/searchAttributes';
import { bulkSmsWorkflow, bulkWorkflowId } from './bulkSms';

const activities = proxyActivities<BulkActivities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

export const campaignScheduleId = (campaignId: string): string => `campaign-${campaignId}`;

/** One run of a campaign's Temporal Schedule: turns the campaign into a new batch and starts that batch. */
export async function campaignRunWorkflow({ campaignId }: { campaignId: string }): Promise<{ batchId?: string }> {
  const created = await activities.createCampaignBatch({ campaignId, runId: workflowInfo().workflowId });
  if (!created) return {};
  await startChild(bulkSmsWorkflow, {
    workflowId: bulkWorkflowId(created.batchId),
    args: [{ batchId: created.batchId }],
    // The batch outlives this short run; it is observed on its own.
    parentClosePolicy: ParentClosePolicy.ABANDON,
    workflowIdReusePolicy: 'REJECT_DUPLICATE',
    typedSearchAttributes: [
      { key: SmsBatchIdKey, value: created.batchId },
      { key: SmsMessageTypeKey, value: created.messageType },
      { key: SmsStatusKey, value: 'scheduled' },
    ],
  });
  return { batchId: created.batchId };
}
