import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { MongoClient, type Db } from 'mongodb';
import { defaultContentPolicy, loadConfig } from '../../src/config';
import { createRepositories, type Repositories } from '../../src/db';
import { TemporalOutbox } from '../../src/db/temporalOutbox';
import { parseTaiwanPhone, type TaiwanPhone } from '../../src/domain/phone';
import { workflowIdFor, type ProviderName } from '../../src/domain/sms';
import { createLogger } from '../../src/log';
import { OutboxRelay } from '../../src/services/outboxRelay';
import { ContentPolicyService } from '../../src/services/contentPolicy';
import { OptOutLedger } from '../../src/services/optOuts';
import { PhoneBudget } from '../../src/services/phoneBudget';
import { ReceiptIntake } from '../../src/services/receiptIntake';
import { SmsIntake } from '../../src/services/smsIntake';
import { BoundedTemporal } from '../../src/temporal/boundedCalls';
import { api, randomMobile, setBehaviour, simulatorSends, twilioOnlyNumberWithoutReceipt, until, waitForFinal, withTemporal } from '../helpers';

/**
 * Intake and receipts against a Temporal server that does not answer (a client pointed at a closed port), with the
 * real store; the stack's worker, whose outbox relay reaches the real Temporal, then finishes the job.
 */
describe('a Temporal outage at intake', () => {
  let mongo: MongoClient;
  let db: Db;
  let repos: Repositories;
  let unreachable: Connection;
  const log = createLogger('test', 'error');

  beforeAll(async () => {
    mongo = await MongoClient.connect(process.env.TEST_MONGO_URI!);
    db = mongo.db(process.env.TEST_MONGO_DB);
    repos = await createRepositories(db, loadConfig({}));
    // No retry interceptor: a call the bounded client gave up on would otherwise retry after this connection is
    // closed, and its timer throw "Channel has been shut down" into whichever test file runs next.
    unreachable = Connection.lazy({ address: '127.0.0.1:1', interceptors: [] });
  });
  afterAll(async () => {
    await unreachable.close();
    await mongo.close();
  });

  const down = () => new BoundedTemporal(new Client({ connection: unreachable }));
  const intakeWith = (temporal: BoundedTemporal, messages: Repositories['messages'] = repos.messages) =>
    new SmsIntake(
      messages,
      repos.templates,
      temporal,
      repos.temporalOutbox,
      new PhoneBudget(repos.phoneCounters, { perHour: 100, perDay: 100, transactionalPerHour: 100, transactionalPerDay: 100 }, repos.alerts),
      async () => [],
      new OptOutLedger(repos.optOuts, repos.audit),
      new ContentPolicyService(repos.settings, defaultContentPolicy(loadConfig({}))),
    );
  const phoneOf = (national: string): TaiwanPhone => {
    const parsed = parseTaiwanPhone(national);
    if (!parsed.ok) throw new Error(parsed.reason);
    return parsed.phone;
  };
  /** A plain text to a number (a fresh one unless given), through `intake`. */
  const sendText = (intake: SmsIntake, text: string, phone = randomMobile()) =>
    intake.accept({ phone: phoneOf(phone), content: { text }, messageType: 'general', metadata: {}, principalId: 'outage-test' });
  const runIdOf = (messageId: string) =>
    withTemporal((client) =>
      client.workflow
        .getHandle(workflowIdFor(messageId))
        .describe()
        .then((d) => d.runId),
    );

  it('stores the message and answers at once; the relay starts its workflow exactly once when Temporal answers', async () => {
    const phone = randomMobile();
    const startedAt = Date.now();
    const { message } = await sendText(intakeWith(down()), 'outage intake', phone);
    expect(Date.now() - startedAt).toBeLessThan(3_000);
    expect(await repos.messages.findById(message._id)).toMatchObject({ status: 'queued' });
    expect(await repos.temporalOutbox.get(TemporalOutbox.startMessageId(message._id))).toMatchObject({ kind: 'start_message', message_id: message._id });
    await expect(runIdOf(message._id)).rejects.toBeInstanceOf(WorkflowNotFoundError);

    // The worker's relay (every 2 s, for entries older than 5 s) starts it; the message then runs as usual.
    const final = await waitForFinal(message._id, 30_000);
    expect(final.status).toBe('delivered');
    expect(await repos.temporalOutbox.get(TemporalOutbox.startMessageId(message._id))).toBeNull();
    const runId = await runIdOf(message._id);

    // A repeated relay of the same start (a lost confirmation, a second replica) finds the workflow closed and
    // changes nothing: same run, one send at the simulators.
    await repos.temporalOutbox.add({ _id: TemporalOutbox.startMessageId(message._id), kind: 'start_message', message_id: message._id, queued_at: new Date(0) });
    await withTemporal(async (client) => {
      const relay = new OutboxRelay({ outbox: repos.temporalOutbox, messages: repos.messages, batches: repos.batches, client, log, graceMs: 0 });
      await relay.runOnce();
    });
    expect(await repos.temporalOutbox.get(TemporalOutbox.startMessageId(message._id))).toBeNull();
    expect(await runIdOf(message._id)).toBe(runId);
    const sends = (await Promise.all((['every8d', 'mitake', 'twilio'] as const).map((p) => simulatorSends(p, { phone })))).flat();
    expect(sends).toHaveLength(1);
  });

  it('puts back the start entry the relay dropped while a slow store took the message, so the relay still starts it', async () => {
    const slowStore = Object.assign(Object.create(repos.messages), {
      // The store took longer than the relay's orphan age: the relay found no message and dropped the entry.
      insertIfAbsent: async (...args: Parameters<Repositories['messages']['insertIfAbsent']>) => {
        await repos.temporalOutbox.remove(TemporalOutbox.startMessageId(args[0]._id));
        return repos.messages.insertIfAbsent(...args);
      },
    });
    const intake = intakeWith(down(), slowStore);
    const { message } = await sendText(intake, 'slow store');
    expect(await repos.temporalOutbox.get(TemporalOutbox.startMessageId(message._id))).toMatchObject({ kind: 'start_message', message_id: message._id });
    await expect(waitForFinal(message._id, 30_000)).resolves.toMatchObject({ status: 'delivered' });
  });

  it('answers later requests without waiting while Temporal stays unreachable', async () => {
    const temporal = down();
    const intake = intakeWith(temporal);
    await sendText(intake, 'first');
    const startedAt = Date.now();
    const { message } = await sendText(intake, 'second');
    expect(Date.now() - startedAt).toBeLessThan(500);
    await expect(waitForFinal(message._id, 30_000)).resolves.toMatchObject({ status: 'delivered' });
  });

  it('keeps a receipt that arrives while Temporal is down and delivers it to the waiting workflow afterwards', async () => {
    const phone = randomMobile();
    for (const provider of ['every8d', 'mitake', 'twilio'] as const) await setBehaviour(provider, phone, { receipt: 'none', push_receipts: false });
    const sent = await api('/api/v1/notifications/send-sms', { method: 'POST', body: JSON.stringify({ phone, message: 'receipt during an outage' }) });
    expect(sent.status).toBe(202);
    const messageId: string = sent.body.message_id;
    let status: any;
    for (let i = 0; i < 100 && status?.status !== 'sent'; i++) {
      status = (await api(`/api/v1/notifications/sms-status/${messageId}`)).body;
      if (status.status !== 'sent') await new Promise((r) => setTimeout(r, 50));
    }
    expect(status.status).toBe('sent');

    const receipts = new ReceiptIntake(repos.messages, repos.webhookEvents, down(), repos.earlyReceipts, repos.temporalOutbox);
    const provider = status.provider as ProviderName;
    const disposition = await receipts.accept({
      provider,
      method: 'POST',
      fields: { note: 'test receipt' },
      messageId,
      providerMessageId: status.provider_message_id,
      report: { provider, providerMessageId: status.provider_message_id, outcome: 'delivered', providerStatus: 'DELIVRD' },
    });
    expect(disposition).toBe('deferred');
    const final = await waitForFinal(messageId, 30_000);
    expect(final.status).toBe('delivered');
  });

  it('keeps a receipt for an expired message that arrives while Temporal is down and applies it afterwards', async () => {
    const phone = await twilioOnlyNumberWithoutReceipt();
    const sent = await api('/api/v1/notifications/send-sms', { method: 'POST', body: JSON.stringify({ phone, message: 'late receipt during an outage' }) });
    const expired = await waitForFinal(sent.body.message_id, 30_000);
    expect(expired).toMatchObject({ status: 'expired', provider: 'twilio', error_code: 'receipt_timeout' });

    const receipts = new ReceiptIntake(repos.messages, repos.webhookEvents, down(), repos.earlyReceipts, repos.temporalOutbox);
    const report = {
      provider: 'twilio' as const,
      providerMessageId: expired.provider_message_id,
      outcome: 'undelivered' as const,
      providerStatus: 'undelivered',
      errorCode: '30003',
    };
    const disposition = await receipts.accept({ provider: 'twilio', method: 'POST', fields: {}, messageId: expired.message_id, report });
    expect(disposition).toBe('deferred');
    const read = async () => (await api(`/api/v1/notifications/sms-status/${expired.message_id}`)).body;
    const late = await until(read, (m) => m.status !== 'expired', 'the relay applied the late receipt');
    expect(late).toMatchObject({ status: 'undelivered', error_code: '30003', finished_at: expired.finished_at });
  });
});
