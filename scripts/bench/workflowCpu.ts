import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { workflowBundle } from '../../src/temporal/workflowBundle';

/**
 * `node --import tsx scripts/bench/workflowCpu.ts [--runs 400] [--limits 10,3,0]`: the worker CPU that workflow
 * code alone costs per SMS, by replaying recorded SMS histories (no server, no database) with the workflow
 * sandbox's stack-trace depth at each limit. Prints CPU ms per replayed workflow and the ratio to the first limit.
 */
const SMS_HISTORIES = ['sendSms-records-itself-delivered.json', 'sendSms-batch-child-records-itself.json', 'sendSms-records-itself-early-receipt.json'];

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '400' }, limits: { type: 'string', default: '10,3,0' } } });
  Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } } });
  const dir = join(__dirname, '..', '..', 'test', 'histories');
  const histories = SMS_HISTORIES.map((file) => JSON.parse(readFileSync(join(dir, file), 'utf8')));
  const runs = Number(values.runs);
  let first: number | undefined;
  for (const limit of values.limits!.split(',').map(Number)) {
    const bundle = await workflowBundle(limit);
    const replays = Array.from({ length: runs }, (_, i) => ({ workflowId: `wf-${i}`, history: historyFromJSON(histories[i % histories.length]) }));
    const before = process.cpuUsage();
    for await (const { error } of Worker.runReplayHistories({ workflowBundle: bundle, replayName: `limit-${limit}` }, replays)) if (error) throw error;
    const used = process.cpuUsage(before);
    const perWorkflow = (used.user + used.system) / 1000 / runs;
    first ??= perWorkflow;
    console.log(`stack trace limit ${String(limit).padStart(2)}  ${perWorkflow.toFixed(2)} ms CPU per SMS workflow replayed  (×${(perWorkflow / first).toFixed(2)})`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
