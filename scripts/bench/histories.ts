import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

/**
 * Where an SMS workflow's time went until its provider accepted, in ms: waiting for its first workflow task to be
 * picked up, running it, waiting for the provider activity to be picked up, and the activity itself (send + record).
 */
export interface SendPhases {
  taskWait: number;
  task: number;
  activityWait: number;
  activity: number;
}
export const SEND_PHASES: (keyof SendPhases)[] = ['taskWait', 'task', 'activityWait', 'activity'];

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** When the server recorded an event, in epoch ms (with its sub-millisecond part). */
export const eventMs = (e: HistoryEvent): number => Number(e.eventTime?.seconds ?? 0) * 1000 + (e.eventTime?.nanos ?? 0) / 1e6;

/** Events and workflow tasks of one run, read back from the server after the run. */
export async function historyStats(
  client: Client,
  workflowId: string,
  runId?: string,
): Promise<{ events: number; workflowTasks: number; types: string[]; phases?: SendPhases; startLags: number[]; failedTasks: string[] }> {
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  const events = history.events ?? [];
  const types = events.map((e) => String(temporal.api.enums.v1.EventType[Number(e.eventType)]).replace('EVENT_TYPE_', ''));
  const at = (type: string) => {
    const e = events[types.indexOf(type)];
    return e ? eventMs(e) : undefined;
  };
  const [started, taskStarted, taskDone, scheduled, activityStarted, activityDone] = [
    'WORKFLOW_EXECUTION_STARTED',
    'WORKFLOW_TASK_STARTED',
    'WORKFLOW_TASK_COMPLETED',
    'ACTIVITY_TASK_SCHEDULED',
    'ACTIVITY_TASK_STARTED',
    'ACTIVITY_TASK_COMPLETED',
  ].map(at);
  const phases =
    started && taskStarted && taskDone && scheduled && activityStarted && activityDone
      ? { taskWait: taskStarted - started, task: taskDone - taskStarted, activityWait: activityStarted - scheduled, activity: activityDone - activityStarted }
      : undefined;
  // A batch run: how long after the batch asked for each child the server had started it.
  const initiated = new Map(events.filter((e) => e.startChildWorkflowExecutionInitiatedEventAttributes).map((e) => [Number(e.eventId), eventMs(e)]));
  const startLags = events.flatMap((e) => {
    const asked = initiated.get(Number(e.childWorkflowExecutionStartedEventAttributes?.initiatedEventId ?? -1));
    return asked === undefined ? [] : [eventMs(e) - asked];
  });
  // Why a workflow task failed: the server's cause, and what arrived while it ran (the server writes such events
  // right after the failure).
  const failedTasks = events.flatMap((e, i) => {
    const failed = e.workflowTaskFailedEventAttributes;
    if (!failed) return [];
    const cause = String(temporal.api.enums.v1.WorkflowTaskFailedCause[Number(failed.cause)]).replace('WORKFLOW_TASK_FAILED_CAUSE_', '');
    const next = types.findIndex((t, j) => j > i && t.startsWith('WORKFLOW_TASK'));
    const arrived = [...new Set(types.slice(i + 1, next < 0 ? undefined : next))];
    return [`${cause}${arrived.length ? ` (arrived meanwhile: ${arrived.join(', ')})` : ''}`];
  });
  return {
    events: events.length,
    workflowTasks: types.filter((t) => t === 'WORKFLOW_TASK_COMPLETED').length,
    types,
    ...(phases ? { phases } : {}),
    startLags,
    failedTasks,
  };
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
