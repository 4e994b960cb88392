import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { startServerProcess } from '../../src/stack/processes';
import { freePorts } from '../../src/stack/launcher/ports';

/**
 * `node --import tsx scripts/bench/priorityCheck.ts [--new-matcher]`: does the dev server honour task priority?
 * A rate-limited activity queue (5/s) gets a backlog of 40 priority-5 tasks, then one priority-1 task: with
 * priority honoured the latter runs within about a second, otherwise after the whole backlog (~8 s).
 */
async function main(): Promise<void> {
  const newMatcher = process.argv.includes('--new-matcher');
  const port = await freePorts(1);
  const uiPort = await freePorts(1);
  const dir = mkdtempSync(join(tmpdir(), 'priority-check-'));
  const cli = join(process.env.HOME!, '.cache/luckygas-sms/bin/temporal-v1.5.1');
  const server = await startServerProcess({
    name: 'temporal',
    command: cli,
    args: [
      'server',
      'start-dev',
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--ui-port',
      String(uiPort),
      '--headless',
      '--db-filename',
      join(dir, 't.sqlite'),
      '--log-level',
      'warn',
      ...(newMatcher ? ['--dynamic-config-value', 'matching.useNewMatcher=true'] : []),
    ],
    logFile: join(dir, 'temporal.log'),
    port,
  });
  const connection = await NativeConnection.connect({ address: `127.0.0.1:${port}` });
  const client = new Client({ connection });
  const ranAt = new Map<string, number>();
  const worker = await Worker.create({
    connection,
    taskQueue: 'prio-wf',
    workflowsPath: require.resolve('./priorityWorkflow'),
    activities: {},
  });
  const activityWorker = await Worker.create({
    connection,
    taskQueue: 'prio-act',
    maxTaskQueueActivitiesPerSecond: 5,
    activities: {
      async note({ id }: { id: string }) {
        ranAt.set(id, Date.now());
      },
    },
  });
  const running = Promise.all([worker.run(), activityWorker.run()]);
  try {
    const handles = [];
    for (let i = 0; i < 40; i++)
      handles.push(
        await client.workflow.start('priorityWorkflow', {
          taskQueue: 'prio-wf',
          workflowId: `low-${i}`,
          args: [{ id: `low-${i}` }],
          priority: { priorityKey: 5 },
        }),
      );
    await new Promise((r) => setTimeout(r, 1_000));
    const t0 = Date.now();
    handles.push(
      await client.workflow.start('priorityWorkflow', { taskQueue: 'prio-wf', workflowId: 'high', args: [{ id: 'high' }], priority: { priorityKey: 1 } }),
    );
    await Promise.all(handles.map((h) => h.result()));
    const lowAfter = [...ranAt.entries()].filter(([id, at]) => id !== 'high' && at > ranAt.get('high')!).length;
    console.log(
      `${newMatcher ? 'matching.useNewMatcher=true' : 'default matcher'}: priority-1 task ran after ${Date.now() - t0 > 0 ? ((ranAt.get('high')! - t0) / 1000).toFixed(2) : '?'} s; ${lowAfter} of 40 priority-5 tasks ran after it`,
    );
  } finally {
    worker.shutdown();
    activityWorker.shutdown();
    await running;
    await connection.close();
    await server.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
