import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import * as workflows from '../../src/workflows';

// Replay failures come back as results (asserted below); the worker's own lifecycle logging is noise here.
Runtime.install({ logger: new DefaultLogger('WARN'), telemetryOptions: { logging: { filter: { core: 'WARN', other: 'WARN' } } } });

const HISTORIES = join(__dirname, '..', 'histories');
const files = readdirSync(HISTORIES)
  .filter((f) => f.endsWith('.json'))
  .sort();
const histories = files.map((file) => ({ workflowId: file, history: historyFromJSON(JSON.parse(readFileSync(join(HISTORIES, file), 'utf8'))) }));

/**
 * Runs every recorded history (test/histories, from `npm run record-histories` or downloaded from a real server)
 * through the current workflow code. A failure means running workflows of that shape would break on deploy:
 * guard the change with patched() (see CONTRIBUTING.md) rather than re-recording.
 */
describe('replaying recorded histories', () => {
  it('replays every history without a determinism error', async () => {
    const failures: string[] = [];
    const results = Worker.runReplayHistories({ workflowsPath: require.resolve('../../src/workflows'), replayName: 'recorded histories' }, histories);
    for await (const { workflowId, error } of results) if (error) failures.push(`${workflowId}: ${error.message}`);
    expect(failures).toEqual([]);
  });

  it('has at least one history for every workflow', () => {
    const recorded = new Set(histories.map(({ history }) => history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name));
    const exported = Object.entries(workflows)
      .filter(([name, value]) => typeof value === 'function' && name.endsWith('Workflow'))
      .map(([name]) => name);
    expect(exported.filter((name) => !recorded.has(name))).toEqual([]);
  });
});
