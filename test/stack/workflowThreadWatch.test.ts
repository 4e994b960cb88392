import { Worker as Thread } from 'node:worker_threads';
import { WorkerThreadClient } from '@temporalio/worker/lib/workflow/threaded-vm';

/**
 * The deadlock watch our patch gives each workflow thread (patches/README.md), against real threads that stand in
 * for the SDK's workflow thread: one answers every request at once, one never answers.
 */
const ANSWERS = `require('node:worker_threads').parentPort.on('message', ({ requestId }) =>
  require('node:worker_threads').parentPort.postMessage({ requestId, result: { type: 'ok' } }));`;
const NEVER_ANSWERS = `require('node:worker_threads').parentPort.on('message', () => {});`;

const logger = { error: jest.fn(), warn: jest.fn(), info: jest.fn(), debug: jest.fn(), trace: jest.fn(), log: jest.fn() };
const activation = (runId: string) => ({ type: 'activate-workflow', runId, activation: {} }) as never;
// Unref'd: a race against the thread's exit must not keep Jest waiting after the tests.
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms).unref());

function clientFor(code: string): { client: WorkerThreadClient; exited: Promise<number> } {
  const thread = new Thread(code, { eval: true });
  const exited = new Promise<number>((resolve) => thread.once('exit', resolve));
  const client = new WorkerThreadClient(thread, logger as never, undefined);
  (client as unknown as { watchForStalls(ms: number): void }).watchForStalls(300);
  return { client, exited };
}

describe('workflow thread deadlock watch (patched @temporalio/worker)', () => {
  it('terminates a thread that owes an answer for longer than the timeout, naming the run', async () => {
    const { client, exited } = clientFor(NEVER_ANSWERS);
    const pending = client.send(activation('run-stuck'));
    await expect(pending).rejects.toThrow(/Potential deadlock detected.*run-stuck/);
    await exited;
  });

  it('leaves a thread alone when this side was the one blocked and its answers wait unread', async () => {
    const { client, exited } = clientFor(ANSWERS);
    await client.send(activation('warm-up'));
    // Block this thread past the timeout from a setImmediate callback, with a request out: the answer arrives
    // meanwhile, but the next loop turn runs the watch's overdue timer before it reads any message.
    const { answered } = await new Promise<{ answered: Promise<unknown> }>((resolve) =>
      setImmediate(() => {
        const pending = client.send(activation('run-ok'));
        const until = Date.now() + 1_000;
        while (Date.now() < until) {
          /* blocked */
        }
        resolve({ answered: pending });
      }),
    );
    await expect(answered).resolves.toBeUndefined();
    await sleep(400); // a few more rounds of the watch
    await expect(client.send(activation('after'))).resolves.toBeUndefined();
    await client.destroy().catch(() => undefined);
    await Promise.race([exited, sleep(1_000)]);
  });
});
