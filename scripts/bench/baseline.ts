import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { cpuMs } from './procs';
import { listRuns } from './histories';

export interface BaselineResult {
  messages: number;
  seconds: number;
  messagesPerSecond: number;
  workerCpuMsPerMessage: number;
  largestHistory: number;
}

/**
 * The bench's baseline on the same Temporal server: N of the smallest workflow of an SMS's shape (start → one
 * activity POSTs to a local HTTP "provider" → a webhook delivers the receipt as a signal 200 ms later → complete),
 * started by a client as fast as it can. What the platform does for this shape of work bounds what the gateway can.
 */
export async function runBaseline(temporalAddress: string, n: number, receiptDelayMs = 200): Promise<BaselineResult> {
  const taskQueue = `bench-baseline-${Date.now()}`;
  const connection = await Connection.connect({ address: temporalAddress });
  const client = new Client({ connection });
  const webhook = await listen((body) => {
    void client.workflow
      .getHandle(`${taskQueue}-${body.id}`)
      .signal('receipt', 'delivered')
      .catch(() => undefined);
  });
  const provider = await listen((body) => {
    setTimeout(() => void fetch(url(webhook), { method: 'POST', body: JSON.stringify(body) }).catch(() => undefined), receiptDelayMs);
    return { ref: `p-${body.id}` };
  });
  const worker = spawn('node', ['--import', 'tsx', resolve(__dirname, 'baselineWorker.ts')], {
    env: { ...process.env, TEMPORAL_ADDRESS: temporalAddress, BASELINE_TASK_QUEUE: taskQueue, BASELINE_PROVIDER_URL: url(provider) },
    // Its shutdown chatter would bury the results; a failed start shows as an exit code.
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  try {
    await new Promise<void>((ready, fail) => {
      worker.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('baseline worker running') && ready());
      worker.once('exit', (code) => fail(new Error(`baseline worker exited (${code})`)));
    });
    const cpuBefore = cpuMs(worker.pid!);
    const started = Date.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 50 }, async () => {
        while (next < n) {
          const id = next++;
          await client.workflow.start('baselineSmsWorkflow', { taskQueue, workflowId: `${taskQueue}-${id}`, args: [{ id: String(id) }] });
        }
      }),
    );
    const query = `TaskQueue = "${taskQueue}" AND ExecutionStatus = "Completed"`;
    while ((await client.workflow.count(query)).count < n) await new Promise((r) => setTimeout(r, 1_000));
    const cpu = cpuMs(worker.pid!) - cpuBefore;
    const runs = await listRuns(client, `TaskQueue = "${taskQueue}"`);
    const seconds = (Math.max(...runs.map((r) => r.closeTimeMs ?? 0)) - started) / 1000;
    return {
      messages: n,
      seconds,
      messagesPerSecond: n / seconds,
      workerCpuMsPerMessage: cpu / n,
      largestHistory: Math.max(...runs.map((r) => r.historyLength)),
    };
  } finally {
    worker.kill('SIGTERM');
    await once(worker, 'exit').catch(() => undefined);
    provider.close();
    webhook.close();
    await connection.close();
  }
}

function listen(handle: (body: { id: string }) => unknown): Promise<Server> {
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const answer = handle(JSON.parse(raw || '{}'));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer ?? {}));
    });
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok(server)));
}

const url = (server: Server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
