import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { Logger } from '../log';
import { workerWarmUpWorkflow } from '../workflows';

/**
 * Runs `workerWarmUpWorkflow` on a task queue this process polls, so its workflow thread is compiled before the
 * first real task arrives. Best effort: with several worker replicas on the queue the warm-up may land on another
 * one, and a failure only leaves the first notice a little slower, so it is logged, never thrown.
 */
export async function warmUpWorkflowThread(client: Client, taskQueue: string, log: Logger): Promise<void> {
  const started = Date.now();
  try {
    await client.workflow.execute(workerWarmUpWorkflow, {
      taskQueue,
      workflowId: `worker-warm-up-${randomUUID()}`,
      // Nothing depends on it: if no worker takes it soon, it is dropped rather than left waiting.
      workflowExecutionTimeout: '1 minute',
    });
    log.info('workflow thread warmed up', { task_queue: taskQueue, ms: Date.now() - started });
  } catch (err) {
    log.warn('could not warm up the workflow thread', { task_queue: taskQueue, error: String(err) });
  }
}
