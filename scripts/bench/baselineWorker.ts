import { NativeConnection, Worker } from '@temporalio/worker';

/**
 * Worker of the bench baseline (its own process, so its CPU is measured like the gateway's worker): one activity
 * that POSTs to the bench's local "provider". Env: TEMPORAL_ADDRESS, BASELINE_TASK_QUEUE, BASELINE_PROVIDER_URL.
 */
async function main(): Promise<void> {
  const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS! });
  const providerUrl = process.env.BASELINE_PROVIDER_URL!;
  const worker = await Worker.create({
    connection,
    taskQueue: process.env.BASELINE_TASK_QUEUE!,
    workflowsPath: require.resolve('./baselineWorkflow'),
    activities: {
      async post({ id }: { id: string }) {
        const response = await fetch(providerUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id }) });
        if (!response.ok) throw new Error(`provider answered ${response.status}`);
        return ((await response.json()) as { ref: string }).ref;
      },
    },
  });
  console.log('baseline worker running');
  await worker.run();
  await connection.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
