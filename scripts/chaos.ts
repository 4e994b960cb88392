import { parseArgs } from 'node:util';
import { randomUUID } from 'node:crypto';
import { launchStack, type LaunchedStack } from '../src/stack/launcher/launch';
import { stopStack } from '../src/stack/launcher/stop';
import { workerPids } from '../src/stack/launcher/workerProcess';
import { CHAOS_ADMIN_TOKEN, CHAOS_WEBHOOK_TOKEN, FAULTS, type Fault } from './chaos/faults';

/**
 * `npm run chaos [-- --messages 500 --only temporal]`: for each fault, a burst of messages through the embedded stack
 * (API, supervised Temporal and FerretDB, a separate worker; the provider simulators in a process of their own, so
 * their counts outlive a restart of the stack), the fault injected a third of the way in, then a table of final
 * states, messages lost, numbers texted twice, whether the stats counted each message once, and the time until
 * /readyz and every message recovered.
 */
const TOKEN = CHAOS_ADMIN_TOKEN;
const FINAL = new Set(['delivered', 'undelivered', 'failed', 'expired']);

interface Row {
  fault: string;
  accepted: number;
  states: Record<string, number>;
  lost: number;
  textedTwice: number;
  /** Texted twice without the message saying it may have been: a real double send. */
  unflagged: number;
  possibleDuplicates: number;
  readyAgainS: number;
  allFinalS: number;
  /** Change of the stats' totals over the burst (messages, delivered): each message counted once. */
  counted: { messages: number; delivered: number };
  note?: string;
}

const HELP = `npm run chaos [-- --messages N] [-- --only <part of a fault name>[,<another>…]]
Faults (each a burst of N messages, default 500, with the fault a third of the way in):
${FAULTS.map((f) => `  - ${f.name}`).join('\n')}`;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { messages: { type: 'string', default: '500' }, only: { type: 'string' }, help: { type: 'boolean' } } });
  if (values.help) return void console.log(HELP);
  const count = Number(values.messages);
  const wanted = values.only?.toLowerCase().split(',');
  // In the order asked for.
  const faults = wanted ? wanted.flatMap((part) => FAULTS.filter((f) => f.name.toLowerCase().includes(part.trim()))) : FAULTS;
  if (faults.length === 0) throw new Error(`no fault matches --only ${values.only}\n${HELP}`);
  const stack = await launchStack(
    {
      ADMIN_TOKEN: TOKEN,
      WEBHOOK_TOKEN: CHAOS_WEBHOOK_TOKEN,
      QUIET_HOURS: '',
      SMS_RECEIPT_TIMEOUT_MS: '120000',
      SMS_RECEIPT_POLL_MS: '2000',
      RATE_LIMIT_PER_MINUTE: '1000000',
      LOG_LEVEL: 'warn',
    },
    { simulatorsProcess: true },
  );
  console.log(`stack data and logs: ${stack.dataDir}`);
  const rows: Row[] = [];
  try {
    for (const fault of faults) rows.push(await scenario(stack, fault, count));
  } finally {
    await stopStack(stack.stack, workerPids(stack.workerPidFile));
    stack.simulators?.kill('SIGTERM');
  }
  console.log(
    '\n| Fault (mid-burst) | Accepted | Final states | Lost | Texted twice (not flagged) | possible_duplicate | Stats counted (messages, delivered) | /readyz again | All final |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const states = Object.entries(r.states)
      .map(([s, n]) => `${s} ${n}`)
      .join(', ');
    console.log(
      `| ${r.fault} | ${r.accepted} | ${states} | ${r.lost} | ${r.textedTwice} (${r.unflagged}) | ${r.possibleDuplicates} | ${r.counted.messages}, ${r.counted.delivered} | ${r.readyAgainS.toFixed(1)} s | ${r.allFinalS.toFixed(0)} s |`,
    );
  }
  for (const r of rows) if (r.note) console.log(`${r.fault}: ${r.note}`);
}

async function scenario(stack: LaunchedStack, fault: Fault, count: number): Promise<Row> {
  console.log(`\n== ${fault.name}: ${count} messages`);
  const call = async (path: string, init: RequestInit = {}) => {
    const r = await fetch(`${stack.apiUrl}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...(init.headers as Record<string, string>) },
    });
    return { status: r.status, body: (await r.json().catch(() => ({}))) as any };
  };
  // Fresh numbers per scenario, so the simulators' send counts per number belong to this burst alone.
  const base = 10_000_000 + Math.floor(Math.random() * 80_000_000);
  const phones = Array.from({ length: count }, (_, i) => `09${base + i}`);
  const ids: string[] = [];
  const idOf: string[] = [];
  /** Accepted so far, id and number side by side (what the receipt storm forges receipts for). */
  const burst = { ids: [] as string[], phones: [] as string[] };
  let faultAt = 0;
  let injected: Promise<unknown> | undefined;
  let readyAgain: Promise<number> | undefined;
  // From the fault on: how long until /readyz answers 200 again (at once for faults it does not see).
  const waitUntilReady = async () => {
    for (;;) {
      const r = await call('/readyz').catch(() => ({ status: 0 }));
      if (r.status === 200) return (Date.now() - faultAt) / 1000;
      await new Promise((res) => setTimeout(res, 250));
    }
  };
  // An order system: retries 503s and connection errors with the same Idempotency-Key.
  const send = async (i: number) => {
    const key = `chaos-${randomUUID()}`;
    // Up to 3 minutes: a restarted stack on this shared machine can take a minute or more to answer again.
    for (let attempt = 0; attempt < 180; attempt++) {
      try {
        const r = await call('/api/v1/notifications/send-sms', {
          method: 'POST',
          headers: { 'idempotency-key': key },
          body: JSON.stringify({ phone: phones[i], message: `【幸福氣】chaos ${i}`, message_type: 'general' }),
        });
        if (r.status === 202) {
          idOf[i] = r.body.message_id;
          burst.ids.push(r.body.message_id);
          burst.phones.push(phones[i]);
          return void ids.push(r.body.message_id);
        }
        if (r.status !== 503) throw new Error(`send ${i}: ${r.status} ${JSON.stringify(r.body)}`);
      } catch (err) {
        if (String(err).includes('send ')) throw err;
      }
      await new Promise((r) => setTimeout(r, 1_000));
    }
    throw new Error(`send ${i} never accepted`);
  };
  const totals = async () => {
    const t = (await call('/api/v1/notifications/stats?message_type=general')).body?.totals;
    return { messages: Number(t?.messages ?? 0), delivered: Number(t?.by_status?.delivered ?? 0) };
  };
  const countedBefore = await totals();
  await fault.before?.(stack);
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < count) {
        const i = next++;
        if (i === Math.floor(count / 3) && !injected) {
          faultAt = Date.now();
          console.log(`   injecting at message ${i}`);
          // A failed injection is reported in the row, and the burst goes on (the stack is stopped at the end).
          injected = fault
            .inject(stack, burst)
            .then(async (note) => {
              await fault.heal?.(stack);
              return note;
            })
            .catch((err) => `the fault's injection failed: ${err instanceof Error ? err.message : String(err)}`);
          readyAgain = waitUntilReady();
        }
        await send(i);
      }
    }),
  );
  const readyAgainS = await readyAgain!;
  const note = await injected;
  await fault.after?.(stack);
  const status = new Map<string, any>();
  const deadline = Date.now() + 10 * 60_000;
  while (Date.now() < deadline) {
    const open = ids.filter((id) => !FINAL.has(status.get(id)?.status));
    if (open.length === 0) break;
    for (let k = 0; k < open.length; k += 16) {
      await Promise.all(
        open.slice(k, k + 16).map(async (id) => status.set(id, (await call(`/api/v1/notifications/sms-status/${id}`).catch(() => ({ body: undefined }))).body)),
      );
    }
    await new Promise((res) => setTimeout(res, 3_000));
  }
  const allFinalS = (Date.now() - faultAt) / 1000;
  const states: Record<string, number> = {};
  for (const id of ids) states[status.get(id)?.status ?? 'unknown'] = (states[status.get(id)?.status ?? 'unknown'] ?? 0) + 1;
  const isFlagged = (id: string | undefined) => Boolean(id && status.get(id)?.events?.some((e: { type: string }) => e.type === 'possible_duplicate'));
  let textedTwice = 0;
  let unflagged = 0;
  for (let k = 0; k < phones.length; k += 16) {
    const batch = phones.slice(k, k + 16);
    const counts = await Promise.all(
      batch.map(async (phone) => {
        const per = await Promise.all(
          Object.values(stack.simUrls).map(async (url) => ((await (await fetch(`${url}/_sim/sends?phone=${phone}`)).json()) as { count: number }).count),
        );
        return per.reduce((a, b) => a + b, 0);
      }),
    );
    textedTwice += counts.filter((n) => n > 1).length;
    // A second text is expected only where the message says so (possible_duplicate).
    unflagged += batch.filter((_, j) => counts[j] > 1 && !isFlagged(idOf[k + j])).length;
  }
  // The stats are rolled up a moment after each outcome: wait (a minute at most) until they have caught up.
  const delivered = states.delivered ?? 0;
  let counted = { messages: 0, delivered: 0 };
  for (let tries = 0; tries < 30; tries++) {
    const now = await totals().catch(() => countedBefore);
    counted = { messages: now.messages - countedBefore.messages, delivered: now.delivered - countedBefore.delivered };
    if (counted.messages === ids.length && counted.delivered === delivered) break;
    await new Promise((res) => setTimeout(res, 2_000));
  }
  const row: Row = {
    fault: fault.name,
    accepted: ids.length,
    states,
    lost: count - ids.length + ids.filter((id) => !FINAL.has(status.get(id)?.status)).length,
    textedTwice,
    unflagged,
    possibleDuplicates: ids.filter(isFlagged).length,
    readyAgainS,
    allFinalS,
    counted,
    note: typeof note === 'string' ? note : undefined,
  };
  console.log('  ', JSON.stringify(row));
  return row;
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
