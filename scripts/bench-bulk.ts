import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../src/config';
import { bulkWorkflowId } from '../src/workflows/bulkSms';
import { progressQuery } from '../src/workflows/signals';
import { dataConverterFor } from '../src/temporal/connect';
import { launchStack } from '../src/stack/launcher/launch';
import { stopStack } from '../src/stack/launcher/stop';
import { workerPids } from '../src/stack/launcher/workerProcess';
import { type BaselineResult, runBaseline } from './bench/baseline';
import { historyStats, SEND_PHASES, type SendPhases, listRuns } from './bench/histories';
import { childProcesses, cpuMeter, rssMiB } from './bench/procs';
import { mongoTally } from './bench/mongoTally';
import { startProbes } from './bench/probes';
import { eventLoopSampler, workerGcMs } from './bench/eventLoop';
import { TEMPORAL_SERVER_VERSION, startPostgresTemporal } from './bench/postgresTemporal';
import { type OpCounts, devServerMetricsUrl, opsSince, opsTable, serverOps } from './bench/serverOps';

/**
 * `npm run bench -- --recipients 10000`: on one embedded stack (Temporal dev server, FerretDB, simulators with
 * 200 ms receipts), first the baseline (the smallest workflow of an SMS's shape, see bench/baseline.ts), then one
 * bulk batch, while a few order confirmations are sent alongside. Prints both rates and their ratio, CPU per
 * message of each process, history sizes, workflow tasks per message, the confirmations' time to provider and
 * duplicates seen by the simulators (must be 0). A benchmark, not a test: it asserts nothing.
 */
const TOKEN = 'bench-admin-token-0123456789';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      recipients: { type: 'string', default: '10000' },
      // BULK_WINDOW's default: a larger window only queues more work in FerretDB (see docs/throughput.md).
      window: { type: 'string', default: '100' },
      // BULK_PAGE_SIZE's default: recipients per continued-as-new run of the batch.
      'page-size': { type: 'string', default: '250' },
      // The recipients split over this many batches sent at once (each with its own window and parent workflow).
      batches: { type: 'string', default: '1' },
      baseline: { type: 'string' },
      probes: { type: 'string', default: '5' },
      'probe-every': { type: 'string', default: '4' },
      'show-history': { type: 'boolean', default: false },
      // The Temporal server's own operation counts per message, the batch's beside the baseline's (bench/serverOps.ts).
      'server-ops': { type: 'boolean', default: false },
      // `postgres`: Temporal server with PostgreSQL persistence and --shards history shards (bench/postgresTemporal.ts).
      temporal: { type: 'string', default: 'dev' },
      shards: { type: 'string', default: '4' },
      // A directory: the worker runs with `node --cpu-prof` and writes its profile there when the bench stops it.
      'cpu-profile': { type: 'string' },
      // V8 flags for the worker process only, e.g. "--max-semi-space-size=32" (A/B runs of its heap settings).
      'worker-v8-flags': { type: 'string' },
    },
  });
  const n = Number(values.recipients);
  const baselineN = Number(values.baseline ?? n);
  const pg = values.temporal === 'postgres' ? await startPostgresTemporal(Number(values.shards)) : undefined;
  if (pg) console.log(`Temporal server ${TEMPORAL_SERVER_VERSION} on PostgreSQL, ${values.shards} history shards, at ${pg.address}`);
  console.log(`Starting the embedded stack for ${n} recipients…`);
  const tally = mongoTally();
  const profile: Record<string, string> = values['cpu-profile'] ? { BENCH_WORKER_CPU_PROFILE: values['cpu-profile'] } : {};
  const v8Flags: Record<string, string> = values['worker-v8-flags'] ? { BENCH_WORKER_V8_FLAGS: values['worker-v8-flags'] } : {};
  const stack = await launchStack({
    ...tally.env,
    ...profile,
    ...v8Flags,
    ADMIN_TOKEN: TOKEN,
    QUIET_HOURS: '',
    BULK_PAGE_SIZE: values['page-size']!,
    BULK_WINDOW: values.window!,
    SMS_RECEIPT_POLL_MS: '30000',
    ...(pg ? { TEMPORAL_ADDRESS: pg.address } : {}),
  });
  const workerPid = workerPids(stack.workerPidFile)[0];
  const servers = Object.fromEntries(
    childProcesses(stack.stack.pid!).map((p) => [p.name.startsWith('temporal') ? 'temporal' : p.name.startsWith('ferretdb') ? 'ferretdb' : p.name, p.pid]),
  );
  const meter = cpuMeter({ worker: workerPid, temporal: pg?.pid ?? servers.temporal, ferretdb: servers.ferretdb, 'api+simulators': stack.stack.pid! });
  const peaks = { worker: 0, api: 0 };
  const sampler = setInterval(() => {
    peaks.worker = Math.max(peaks.worker, rssMiB(workerPid));
    peaks.api = Math.max(peaks.api, rssMiB(stack.stack.pid!));
  }, 500);
  const metricsUrl = values['server-ops'] ? (pg?.metricsUrl ?? devServerMetricsUrl(stack.dataDir)) : undefined;
  if (values['server-ops'] && !metricsUrl) console.log("--server-ops: the dev server's metrics address was not found; not counted");
  const opsNow = async (): Promise<OpCounts | undefined> => (metricsUrl ? serverOps(metricsUrl) : undefined);
  const connection = await Connection.connect({ address: stack.temporalAddress });
  const client = new Client({ connection, dataConverter: dataConverterFor(loadConfig({})) });

  try {
    let baseline: BaselineResult | undefined;
    let baselineCpu: Record<string, number> = {};
    let baselineOps: OpCounts | undefined;
    if (baselineN > 0) {
      console.log(`Baseline: ${baselineN} smallest same-shape workflows…`);
      const before = meter.snapshot();
      const opsBefore = await opsNow();
      baseline = await runBaseline(stack.temporalAddress, baselineN);
      baselineCpu = meter.since(before);
      const opsAfter = await opsNow();
      if (opsBefore && opsAfter) baselineOps = opsSince(opsBefore, opsAfter);
      console.log(`  ${baseline.messagesPerSecond.toFixed(1)} messages/s over ${baseline.seconds.toFixed(1)} s`);
    }

    const api = async (path: string, init: RequestInit = {}) => {
      const response = await fetch(`${stack.apiUrl}${path}`, { ...init, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' } });
      return (await response.json()) as any;
    };
    const phones = Array.from({ length: n }, (_, i) => `09${String(10_000_000 + i).padStart(8, '0')}`);
    const cpuStart = meter.snapshot();
    const opsStart = await opsNow();
    const tallyStart = tally.snapshot();
    const gcStart = await workerGcMs(stack.workerMetricsUrl);
    const started = Date.now();
    const parts = Math.max(1, Number(values.batches));
    const accepted = await Promise.all(
      Array.from({ length: parts }, (_, k) =>
        api('/api/v1/notifications/send-bulk-sms', {
          method: 'POST',
          body: JSON.stringify({
            recipients: phones.filter((_, i) => i % parts === k).map((phone) => ({ phone })),
            message: '【幸福氣】冬季安全用氣提醒：請定期檢查瓦斯管線。',
            message_type: 'general',
            batch_name: 'benchmark',
          }),
        }),
      ),
    );
    const intakeMs = Date.now() - started;
    const batchIds: string[] = accepted.map((a) => a.batch_id);
    console.log(`Accepted ${accepted.map((a) => a.accepted).join(' + ')} recipients in ${intakeMs} ms (batch ${batchIds.join(', ')}); sending…`);
    const inBatches = `SmsBatchId IN (${batchIds.map((id) => `"${id}"`).join(', ')})`;
    const probes = startProbes(api, Number(values.probes), Number(values['probe-every']) * 1000);

    const done = `${inBatches} AND WorkflowType = "sendSmsWorkflow" AND ExecutionStatus != "Running"`;
    // Sends in progress, as the batch counts them (its window), every 2 s while it starts children.
    const inFlight: number[] = [];
    const eventLoop = eventLoopSampler(stack.workerMetricsUrl);
    for (;;) {
      const finished = (await client.workflow.count(done)).count;
      // Taken with the count: the progress query below waits while the batch continues as new (seconds per page).
      const countedAtS = (Date.now() - started) / 1000;
      if (finished >= n) break;
      for (const batchId of batchIds) {
        const progress = await client.workflow
          .getHandle(bulkWorkflowId(batchId))
          .query(progressQuery)
          .catch(() => undefined);
        if (progress && progress.started < progress.total) inFlight.push(progress.inFlight);
      }
      await eventLoop.sample();
      process.stdout.write(`\r  ${finished}/${n} finished, ${countedAtS.toFixed(0)} s`);
      await new Promise((r) => setTimeout(r, 2_000));
    }
    const cpu = meter.since(cpuStart);
    const opsEnd = await opsNow();
    const batchOps = opsStart && opsEnd ? opsSince(opsStart, opsEnd) : undefined;
    const gcMs = (await workerGcMs(stack.workerMetricsUrl)) - gcStart;
    const roundTrips = tally.perMessage(tallyStart, n);
    console.log('');
    const probeResults = await probes.results(client, stack.simUrls.every8d, stack.simUrls.mitake);

    const children = await listRuns(client, `${inBatches} AND WorkflowType = "sendSmsWorkflow"`);
    const parents = await listRuns(client, `WorkflowId IN (${batchIds.map((id) => `"${bulkWorkflowId(id)}"`).join(', ')})`);
    const totalMs = Math.max(...children.map((c) => c.closeTimeMs ?? 0)) - started;
    // About 100 children spread over the whole batch (its start, steady state and tail alike).
    const every = Math.max(1, Math.floor(children.length / 100));
    const sample = await Promise.all(children.filter((_, i) => i % every === 0).map((c) => historyStats(client, c.workflowId, c.runId)));
    const parentStats = await Promise.all(parents.map((p) => historyStats(client, p.workflowId, p.runId)));
    if (values['show-history']) {
      const counts = (types: string[]) =>
        Object.entries(types.reduce<Record<string, number>>((m, t) => ((m[t] = (m[t] ?? 0) + 1), m), {}))
          .map(([t, c]) => `${t} ${c}`)
          .join(', ');
      console.log(`one SMS workflow: ${sample[0].types.join(' ')}`);
      console.log(`batch, all runs: ${counts(parentStats.flatMap((s) => s.types))}`);
      const failed = parentStats.flatMap((s) => s.failedTasks);
      if (failed.length) console.log(`batch tasks failed: ${counts(failed)}`);
    }
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    const childTasks = sum(sample.map((s) => s.workflowTasks)) / sample.length;
    const parentTasks = sum(parentStats.map((s) => s.workflowTasks)) / n;
    const throughput = n / (totalMs / 1000);

    const sims = await Promise.all(
      Object.values(stack.simUrls).map(async (url) => ((await (await fetch(`${url}/_sim/sends`)).json()) as { sends: { phone: string }[] }).sends),
    );
    const perPhone = new Map<string, number>();
    for (const send of sims.flat()) perPhone.set(send.phone, (perPhone.get(send.phone) ?? 0) + 1);
    const duplicates = [...perPhone.values()].reduce((d, c) => d + (c - 1), 0);
    const finalCounts: Record<string, number> = {};
    for (const batchId of batchIds)
      for (const [status, count] of Object.entries((await api(`/api/v1/notifications/batches/${batchId}`)).counts as Record<string, number>))
        finalCounts[status] = (finalCounts[status] ?? 0) + count;

    console.log(
      [
        `recipients               ${n}`,
        `total time               ${(totalMs / 1000).toFixed(1)} s (intake ${intakeMs} ms)`,
        ...(baseline
          ? [
              `baseline                 ${baseline.messagesPerSecond.toFixed(1)} messages/s (${baseline.messages} workflows, worker CPU ${baseline.workerCpuMsPerMessage.toFixed(1)} ms/message, history ${baseline.largestHistory} events)`,
            ]
          : []),
        ...(baseline ? [`baseline server CPU      temporal ${((baselineCpu.temporal ?? 0) / baseline.messages).toFixed(1)} ms/message`] : []),
        `throughput               ${throughput.toFixed(1)} messages/s`,
        ...(baseline ? [`ratio                    ${(throughput / baseline.messagesPerSecond).toFixed(2)}`] : []),
        `CPU per message          ${Object.entries(cpu)
          .map(([name, ms]) => `${name} ${(ms / n).toFixed(1)} ms`)
          .join(', ')}`,
        `MongoDB round trips      ${roundTrips.total.toFixed(1)} per message: ${roundTrips.rows.map(([key, per]) => `${key} ${per.toFixed(2)}`).join(', ')}`,
        `events per SMS workflow  ${(sum(children.map((c) => c.historyLength)) / children.length).toFixed(1)} (max ${Math.max(...children.map((c) => c.historyLength))})`,
        `workflow tasks / message ${(childTasks + parentTasks).toFixed(2)} (SMS workflow ${childTasks.toFixed(2)}, batch ${parentTasks.toFixed(2)})`,
        `window in use            ${quantiles(inFlight)} of ${values.window} per batch while children were starting`,
        `batch message, ms        child start ${quantiles(parentStats.flatMap((s) => s.startLags))}, ${sendPhasesLine(sample.flatMap((s) => (s.phases ? [s.phases] : [])))}`,
        `worker GC, main thread   ${(gcMs / n).toFixed(1)} ms/message${values['worker-v8-flags'] ? ` (worker V8 flags: ${values['worker-v8-flags']})` : ''}`,
        `worker event loop, ms    delay p99 ${quantiles(eventLoop.result().p99)} over 2 s samples, longest ${eventLoop.result().longestMs.toFixed(0)}`,
        `largest workflow history ${Math.max(...parents.map((p) => p.historyLength), ...children.map((c) => c.historyLength))} events (${parts > 1 ? `${parts} batches` : 'batch'} ran as ${parents.length} continued-as-new runs)`,
        `order confirmations      time to provider ${probeResults.map((p) => (p.toProviderMs === undefined ? 'never' : `${(p.toProviderMs / 1000).toFixed(2)} s`)).join(', ')}; to final ${probeResults.map((p) => (p.toFinalMs === undefined ? p.status : `${(p.toFinalMs / 1000).toFixed(2)} s`)).join(', ')}`,
        ...probeResults.map((p, i) => `  confirmation ${i + 1}         ms after request: ${p.timeline ?? '?'}`),
        `batch start, s           ${batchStartLine(
          children.map((c) => c.startTimeMs - started),
          Number(values.window) * parts,
        )}; confirmations sent at ${probeResults.map((p) => ((p.requestedAtMs - started) / 1000).toFixed(1)).join(', ')}`,
        ...(batchOps ? [`Temporal server ops      per message (batch beside baseline)`, ...opsTable(batchOps, n, baselineOps, baseline?.messages ?? 0)] : []),
        `peak RSS                 worker ${peaks.worker.toFixed(0)} MiB, API+simulators ${peaks.api.toFixed(0)} MiB`,
        `duplicates at simulators ${duplicates}`,
        `final counts             ${JSON.stringify(finalCounts)}`,
      ].join('\n'),
    );
  } finally {
    clearInterval(sampler);
    await connection.close();
    await stopStack(stack.stack, workerPids(stack.workerPidFile));
    await pg?.stop();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});

/** Median and 90th percentile, in ms. */
function quantiles(xs: number[]): string {
  const sorted = [...xs].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return `${at(0.5).toFixed(0)} (p90 ${at(0.9).toFixed(0)})`;
}

/**
 * When the batch's children started, in s after the bulk request: the first, the one that filled the window (all
 * batches' windows with --batches), and how many started in the busiest second, so a slow confirmation can be
 * placed against the batch's start-up burst.
 */
function batchStartLine(startedAfterMs: number[], windowTotal: number): string {
  const sorted = [...startedAfterMs].sort((a, b) => a - b);
  const perSecond = new Map<number, number>();
  for (const second of sorted.map((ms) => Math.floor(ms / 1000))) perSecond.set(second, (perSecond.get(second) ?? 0) + 1);
  const [busiest, count] = [...perSecond].reduce((a, b) => (b[1] > a[1] ? b : a), [0, 0]);
  const at = (i: number) => ((sorted[Math.min(i, sorted.length - 1)] ?? 0) / 1000).toFixed(1);
  return `children: first started ${at(0)}, window full (${windowTotal}) ${at(windowTotal - 1)}, busiest second ${busiest}–${busiest + 1} (${count} started)`;
}

/** Each phase before the provider accepted (see SendPhases). */
function sendPhasesLine(phases: SendPhases[]): string {
  return SEND_PHASES.map((k) => `${k} ${quantiles(phases.map((p) => p[k]))}`).join(', ');
}
