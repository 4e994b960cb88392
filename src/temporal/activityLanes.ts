import { Context } from '@temporalio/activity';
import { inLane } from '../db/lanes';
import { TRANSACTIONAL_PRIORITY } from '../domain/sms';

type Activities = Record<string, (...args: never[]) => Promise<unknown>>;

/**
 * Runs each activity in its database lane (db/lanes.ts): order and delivery notices in the main lane, everything
 * else the worker does (campaigns, other messages, background jobs) in the bulk lane. Provider activities know the
 * notice by its task priority (inherited from its workflow); local activities carry no priority, so they take the
 * lane of the worker that runs them: `bulk` false for the transactional workflow worker.
 */
export function inDatabaseLanes<T extends object>(activities: T, lane: { bulk: boolean } | 'by-priority'): T {
  const laned: Activities = {};
  for (const [name, fn] of Object.entries(activities as Activities)) {
    laned[name] = (...args) => inLane(lane === 'by-priority' ? !isNotice() : lane.bulk, () => fn(...args));
  }
  return laned as T;
}

const isNotice = (): boolean => Context.current().info.priority?.priorityKey === TRANSACTIONAL_PRIORITY;
