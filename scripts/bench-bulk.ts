import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../src/config';
import { bulkWorkflowId } from '../src/workflows/bulkSms';
import { dataConverterFor } from '../src/temporal/connect';
import { launchStack } from '../test/stack/launch';
import { stopStack } from '../test/stack/globalTeardown';
import { workerPids } from '../test/stack/worker';

/**
 * `npm run bench -- --recipients 10000`: one bulk batch through the embedded stack (Temporal dev server,
 * FerretDB, simulators with 200 ms receipts) on this machine. Prints total time, messages/s, peak RSS of the
 * worker and API processes, the largest workflow history, and duplicates seen by the simulators (must be 0).
 * A benchmark, not a test: it asserts nothing and its figures depend on the machine.
 */
const TOKEN = 'bench-admin-token-0123456789';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { recipients: { type: 'string', default: '10000' }, window: { type: 'string', default: '200' } } });
  const n = Number(values.recipients);
  console.log(`Starting the embedded stack for ${n} recipients…`);
  const stack = await launchStack({ ADMIN_TOKEN: TOKEN, QUIET_HOURS: '', BULK_PAGE_SIZE: '250', BULK_WINDOW: values.window!, SMS_RECEIPT_POLL_MS: '30000' });
  const workerPid = workerPids(stack.workerPidFile)[0];
  const peaks = { worker: 0, api: 0 };
  const sampler = setInterval(() => {
    peaks.worker = Math.max(peaks.worker, rssMiB(workerPid));
    peaks.api = Math.max(peaks.api, rssMiB(stack.stack.pid!));
  }, 500);

  try {
    const api = async (path: string, init: RequestInit = {}) => {
      const response = await fetch(`${stack.apiUrl}${path}`, { ...init, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' } });
      return (await response.json()) as any;
    };
    const phones = Array.from({ length: n }, (_, i) => `09${String(10_000_000 + i).padStart(8, '0')}`);
    const started = Date.now();
    const accepted = await api('/api/v1/notifications/send-bulk-sms', {
      method: 'POST',
      body: JSON.stringify({ recipients: phones.map((phone) => ({ phone })), message: '【幸福氣】冬季安全用氣提醒：請定期檢查瓦斯管線。', message_type: 'general', batch_name: 'benchmark' }),
    });
    const intakeMs = Date.now() - started;
    console.log(`Accepted ${accepted.accepted} recipients in ${intakeMs} ms (batch ${accepted.batch_id}); sending…`);

    let batch: any;
    for (;;) {
      batch = await api(`/api/v1/notifications/batches/${accepted.batch_id}`);
      const sent = Object.entries(batch.counts ?? {}).reduce((s, [k, v]) => s + (k === 'queued' || k === 'sending' ? 0 : (v as number)), 0);
      if (batch.status === 'completed' && (batch.counts.delivered ?? 0) + (batch.counts.failed ?? 0) + (batch.counts.undelivered ?? 0) === n) break;
      process.stdout.write(`\r  ${sent}/${n} past the provider, ${batch.counts.delivered ?? 0} delivered, ${((Date.now() - started) / 1000).toFixed(0)} s`);
      await new Promise((r) => setTimeout(r, 5_000));
    }
    const totalMs = Date.now() - started;
    console.log('');

    const sims = await Promise.all(Object.values(stack.simUrls).map(async (url) => ((await (await fetch(`${url}/_sim/sends`)).json()) as { sends: { phone: string }[] }).sends));
    const perPhone = new Map<string, number>();
    for (const send of sims.flat()) perPhone.set(send.phone, (perPhone.get(send.phone) ?? 0) + 1);
    const duplicates = [...perPhone.values()].reduce((d, c) => d + (c - 1), 0);

    const connection = await Connection.connect({ address: stack.temporalAddress });
    const client = new Client({ connection, dataConverter: dataConverterFor(loadConfig({})) });
    let largestHistory = 0;
    let parentRuns = 0;
    for await (const wf of client.workflow.list({ query: `WorkflowId = "${bulkWorkflowId(accepted.batch_id)}"` })) {
      parentRuns++;
      largestHistory = Math.max(largestHistory, wf.historyLength);
    }
    for await (const wf of client.workflow.list({ query: `SmsBatchId = "${accepted.batch_id}" AND WorkflowType = "sendSmsWorkflow"`, pageSize: 1000 })) {
      largestHistory = Math.max(largestHistory, wf.historyLength);
    }
    await connection.close();

    console.log(
      [
        `recipients               ${n}`,
        `total time               ${(totalMs / 1000).toFixed(1)} s (intake ${intakeMs} ms)`,
        `throughput               ${(n / (totalMs / 1000)).toFixed(1)} messages/s, all delivered`,
        `peak RSS                 worker ${peaks.worker.toFixed(0)} MiB, API+simulators ${peaks.api.toFixed(0)} MiB`,
        `largest workflow history ${largestHistory} events (batch ran as ${parentRuns} continued-as-new runs)`,
        `duplicates at simulators ${duplicates}`,
        `final counts             ${JSON.stringify(batch.counts)}`,
      ].join('\n'),
    );
  } finally {
    clearInterval(sampler);
    await stopStack(stack.stack, workerPids(stack.workerPidFile));
  }
}

/** Peak resident set size (VmHWM) of a process, in MiB; 0 once it is gone. */
function rssMiB(pid: number): number {
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) / 1024 : 0;
  } catch {
    return 0;
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
