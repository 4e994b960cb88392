import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

/** Events and workflow tasks of one run, read back from the server after the run. */
export async function historyStats(client: Client, workflowId: string, runId?: string): Promise<{ events: number; workflowTasks: number; types: string[] }> {
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  const events = history.events ?? [];
  const types = events.map((e) => String(temporal.api.enums.v1.EventType[Number(e.eventType)]).replace('EVENT_TYPE_', ''));
  return { events: events.length, workflowTasks: types.filter((t) => t === 'WORKFLOW_TASK_COMPLETED').length, types };
}

/** Close times and history lengths of the runs a visibility query finds. */
export async function listRuns(
  client: Client,
  query: string,
): Promise<{ workflowId: string; runId: string; historyLength: number; closeTimeMs?: number; startTimeMs: number }[]> {
  const runs = [];
  for await (const wf of client.workflow.list({ query, pageSize: 1000 })) {
    runs.push({
      workflowId: wf.workflowId,
      runId: wf.runId,
      historyLength: wf.historyLength,
      closeTimeMs: wf.closeTime?.getTime(),
      startTimeMs: wf.startTime.getTime(),
    });
  }
  return runs;
}
