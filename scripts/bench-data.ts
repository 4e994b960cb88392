import { execSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { MongoClient } from 'mongodb';
import { MessageAggregates, MessageLists } from '../src/db/messageAggregates';
import { MessageRepository } from '../src/db/messages';
import { taipeiDate } from '../src/domain/taipeiTime';
import { launchStack } from '../src/stack/launcher/launch';
import { stopStack } from '../src/stack/launcher/stop';
import { workerPids } from '../src/stack/launcher/workerProcess';
import { buildDataset } from './dataset';

/**
 * `npm run bench:data -- --messages 100000 [--keep]`: fills the embedded store with a month of realistic traffic
 * through the product's own write path (the import path that counts and lists messages exactly as live traffic
 * does), then prints p50/p95 of every operator read through the API at that size, and send-sms latency on the
 * empty store and the filled one, measured in the same run. With --keep the data stays: `DATA_DIR=<dir> npm start`
 * serves it. A benchmark: it prints figures and asserts nothing.
 */
const TOKEN = 'bench-admin-token-0123456789';
const DAY_MS = 24 * 3600_000;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      messages: { type: 'string', default: '100000' },
      keep: { type: 'boolean', default: false },
      runs: { type: 'string', default: '15' },
      'reads-only': { type: 'boolean', default: false },
    },
  });
  // --reads-only: measure the reads again on a store a --keep run left in DATA_DIR (e.g. on a quieter machine).
  const readsOnly = values['reads-only'];
  if (readsOnly && !process.env.DATA_DIR) throw new Error('--reads-only needs DATA_DIR (a store a --keep run left)');
  const total = Number(values.messages);
  const runs = Number(values.runs);
  console.log(`Starting the embedded stack…`);
  const stack = await launchStack({
    ...(readsOnly ? { DATA_DIR: process.env.DATA_DIR! } : {}),
    ADMIN_TOKEN: TOKEN,
    QUIET_HOURS: '',
    RATE_LIMIT_PER_MINUTE: '1000000',
    PHONE_LIMIT_PER_HOUR: '100000',
    PHONE_LIMIT_PER_DAY: '100000',
    PHONE_TRANSACTIONAL_LIMIT_PER_HOUR: '100000',
    PHONE_TRANSACTIONAL_LIMIT_PER_DAY: '100000',
  });
  const api = async (path: string, init: RequestInit = {}) => {
    const started = performance.now();
    const response = await fetch(`${stack.apiUrl}${path}`, { ...init, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' } });
    const body = (await response.json()) as any;
    if (!response.ok) throw new Error(`${path}: ${response.status} ${JSON.stringify(body)}`);
    return { body, ms: performance.now() - started };
  };
  const sendOne = (i: number) =>
    api('/api/v1/notifications/send-sms', {
      method: 'POST',
      body: JSON.stringify({
        phone: `0955${String(100_000 + i).slice(-6)}`,
        message: '【幸福氣】您的瓦斯訂單已確認。',
        message_type: 'order_confirmation',
        metadata: { order_id: `BENCH-${i}` },
      }),
    });
  const sendLatency = async (from: number) => {
    const times: number[] = [];
    for (let i = 0; i < 60; i++) times.push((await sendOne(from + i)).ms);
    return times;
  };
  const mongo = await MongoClient.connect(stack.mongoUri);
  try {
    const emptySends = await sendLatency(0);
    await new Promise((r) => setTimeout(r, 3_000)); // let those workflows finish before the bulk import

    const db = mongo.db('luckygas_sms');
    const repo = new MessageRepository(db, { lists: new MessageLists(db, 'worker'), aggregates: new MessageAggregates(db) });
    const dataset = buildDataset(total);
    if (!readsOnly) {
      const seedStart = Date.now();
      let stored = 0;
      // Large pages: a page's entries for one lookup list or rollup merge into one write (as a burst does live).
      for (const page of dataset.pages(100_000)) {
        await repo.insertCounted(page);
        stored += page.length;
        process.stdout.write(`\r  stored ${stored}/${total} (${((Date.now() - seedStart) / 1000).toFixed(0)} s)`);
      }
      const seedSeconds = (Date.now() - seedStart) / 1000;
      console.log(`\nSeeded ${total} messages in ${seedSeconds.toFixed(0)} s (${Math.round(total / seedSeconds)}/s)`);
    }
    const samples = {
      ...dataset.samples,
      batchId: readsOnly
        ? (await api('/api/v1/notifications/sms-logs?template_code=bench_winter_promo&limit=1')).body.items[0].batch_id
        : dataset.samples.batchId,
    };
    const aDayAgo = new Date(Date.now() - 10 * DAY_MS);
    const from = new Date(aDayAgo.getTime() - DAY_MS).toISOString();
    const reads: [string, string][] = [
      ['sms-logs first page', '/api/v1/notifications/sms-logs?limit=50'],
      ['sms-logs phone', `/api/v1/notifications/sms-logs?phone=${encodeURIComponent(samples.phone)}&limit=50`],
      ['sms-logs status=failed', '/api/v1/notifications/sms-logs?status=failed&limit=50'],
      ['sms-logs provider=mitake', '/api/v1/notifications/sms-logs?provider=mitake&limit=50'],
      ['sms-logs message_type=payment_reminder', '/api/v1/notifications/sms-logs?message_type=payment_reminder&limit=50'],
      ['sms-logs batch_id', `/api/v1/notifications/sms-logs?batch_id=${samples.batchId}&limit=50`],
      ['sms-logs template_code', `/api/v1/notifications/sms-logs?template_code=${samples.templateCode}&limit=50`],
      ['sms-logs order_id', `/api/v1/notifications/sms-logs?order_id=${samples.orderId}&limit=50`],
      ['sms-logs one-day range', `/api/v1/notifications/sms-logs?from=${from}&to=${aDayAgo.toISOString()}&limit=50`],
      ['sms-logs status=expired&provider=twilio', '/api/v1/notifications/sms-logs?status=expired&provider=twilio&limit=50'],
      ['stats 1 day', `/api/v1/notifications/stats?start_date=${taipeiDate(Date.now())}`],
      ['stats 30 days', `/api/v1/notifications/stats?start_date=${taipeiDate(Date.now() - 30 * DAY_MS)}`],
      ['template stats', `/api/v1/notifications/sms-templates`],
    ];
    console.log(`\n${'read'.padEnd(44)} ${'p50 ms'.padStart(8)} ${'p95 ms'.padStart(8)}  rows`);
    for (const [name, path] of reads)
      await measure(
        name,
        runs,
        () => api(path),
        (b) => b.items?.length ?? b.totals?.messages ?? '',
      );
    // Later pages: the fifth page of the unfiltered log and of a status filter, following each cursor.
    for (const [name, path] of [
      ['sms-logs 5th page (cursor)', '/api/v1/notifications/sms-logs?limit=50'],
      ['sms-logs status=delivered 5th page', '/api/v1/notifications/sms-logs?status=delivered&limit=50'],
    ]) {
      let cursor = '';
      for (let p = 0; p < 4; p++) cursor = (await api(`${path}${cursor ? `&cursor=${cursor}` : ''}`)).body.next_cursor;
      await measure(
        name,
        runs,
        () => api(`${path}&cursor=${cursor}`),
        (b) => b.items.length,
      );
    }
    const anId = (await api('/api/v1/notifications/sms-logs?limit=1')).body.items[0].message_id;
    await measure(
      'sms-status/{id}',
      runs,
      () => api(`/api/v1/notifications/sms-status/${anId}`),
      () => 1,
    );
    await measure(
      'CSV export, time to first byte',
      runs,
      async () => {
        const started = performance.now();
        const response = await fetch(`${stack.apiUrl}/api/v1/notifications/sms-logs/export.csv`, { headers: { authorization: `Bearer ${TOKEN}` } });
        const reader = response.body!.getReader();
        await reader.read();
        const ms = performance.now() - started;
        await reader.cancel();
        return { body: {}, ms };
      },
      () => '',
    );

    const fullSends = await sendLatency(1_000);
    console.log(`\nsend-sms ${readsOnly ? 'before the reads' : 'on the empty store'}:  p50 ${pct(emptySends, 50)} ms, p99 ${pct(emptySends, 99)} ms`);
    console.log(`send-sms at ${total} messages: p50 ${pct(fullSends, 50)} ms, p99 ${pct(fullSends, 99)} ms`);
    const stats = (await api(`/api/v1/notifications/stats?start_date=${taipeiDate(Date.now() - 31 * DAY_MS)}`)).body;
    console.log(
      `stats over 31 days count ${stats.totals.messages} messages (seeded ${total} + ${emptySends.length + fullSends.length} sent during the run, less any not yet taken up by their workflow)`,
    );
    const dataDir = readsOnly ? process.env.DATA_DIR! : stack.dataDir;
    console.log(`disk: ${execSync(`du -sh ${dataDir}/ferretdb`).toString().split('\t')[0]} (FerretDB data for ${total} messages)`);
    if (values.keep || readsOnly) console.log(`\nData kept: DATA_DIR=${dataDir} npm start`);
  } finally {
    await mongo.close();
    await stopStack(stack.stack, workerPids(stack.workerPidFile));
    if (!values.keep && !readsOnly) execSync(`rm -rf ${stack.dataDir}`);
  }
}

async function measure(name: string, runs: number, call: () => Promise<{ body: any; ms: number }>, rows: (body: any) => unknown): Promise<void> {
  const times: number[] = [];
  let last: any;
  for (let i = 0; i < runs; i++) {
    const { body, ms } = await call();
    times.push(ms);
    last = body;
  }
  console.log(`${name.padEnd(44)} ${String(pct(times, 50)).padStart(8)} ${String(pct(times, 95)).padStart(8)}  ${rows(last)}`);
}

function pct(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
