import { createServer, connect, type Server, type Socket } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { MongoClient } from 'mongodb';
import twilio from 'twilio';
import { loadConfig, publicBaseUrl } from '../../src/config';
import { createRepositories, type Repositories } from '../../src/db';
import { createLogger } from '../../src/log';
import { buildApp } from '../../src/server';
import { SIMULATOR_CREDENTIALS } from '../../src/simulator';
import { api, sendSms, twilioOnlyNumberWithoutReceipt, until, waitForFinal, withDb } from '../helpers';

/**
 * A TCP relay in front of the stack's store that the test can cut and restore: an in-process API reaches the store
 * only through it, while the stack's own API, worker and store stay up.
 */
class StoreLink {
  private server?: Server;

  private readonly sockets = new Set<Socket>();

  private hung = false;

  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  async open(): Promise<void> {
    const server = createServer((inbound) => {
      const outbound = connect(this.target.port, this.target.host);
      for (const socket of [inbound, outbound]) {
        this.sockets.add(socket);
        socket.on('error', () => undefined);
        socket.on('close', () => {
          this.sockets.delete(socket);
          inbound.destroy();
          outbound.destroy();
        });
      }
      // Forwarded by hand so that hang() can stop it with every connection left open.
      inbound.on('data', (chunk) => this.hung || outbound.write(chunk));
      outbound.on('data', (chunk) => this.hung || inbound.write(chunk));
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  /** The store stops answering, as a hung host does: nothing is refused or closed, nothing comes back. */
  hang(): void {
    this.hung = true;
  }

  async cut(): Promise<void> {
    this.hung = false; // the hung connections go; the next open() forwards again
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }
}

/** The receipt must come within the stack's 5 s receipt timeout of the send: poll often. */
const QUICK_POLL = { timeoutMs: 20_000, everyMs: 100 };

describe('a store outage at the receipt webhooks', () => {
  const stackStore = new URL(process.env.TEST_MONGO_URI!);
  const link = new StoreLink({ host: stackStore.hostname, port: Number(stackStore.port) });
  const config = loadConfig(JSON.parse(process.env.TEST_WORKER_ENV!));
  let mongo: MongoClient;
  let connection: Connection;
  let app: ReturnType<typeof buildApp>;
  let repos: Repositories;

  beforeAll(async () => {
    await link.open();
    mongo = await MongoClient.connect(`mongodb://127.0.0.1:${link.port}/`, { serverSelectionTimeoutMS: 2_000 });
    const db = mongo.db(process.env.TEST_MONGO_DB);
    connection = await Connection.connect({ address: process.env.TEST_TEMPORAL_ADDRESS! });
    repos = await createRepositories(db, config);
    app = buildApp({ config, db, repos, temporal: new Client({ connection }), log: createLogger('test', 'error') });
  });
  afterAll(async () => {
    await link.cut();
    await mongo.close(true);
    await connection.close();
  });

  const twilioCallback = (messageId: string, fields: Record<string, string>) => {
    const path = `/api/v1/webhooks/sms/twilio?message_id=${messageId}`;
    const signature = twilio.getExpectedTwilioSignature(SIMULATOR_CREDENTIALS.twilio.auth_token, `${publicBaseUrl(config)}${path}`, fields);
    return app.request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
      body: new URLSearchParams(fields).toString(),
    });
  };
  /**
   * `atMost` 2 where the receipt's first run may also store its row once the store answers (docs/resilience.md).
   * Counted once nothing is parked any more, so a row stored after the first one is counted too.
   */
  const expectParkedRowStored = async (messageId: string, { atMost = 1 } = {}) => {
    const signalledRows = () => withDb((db) => db.collection('webhook_events').find({ message_id: messageId, disposition: 'signalled' }).toArray());
    await until(signalledRows, (found) => found.length > 0, 'the parked webhook row', QUICK_POLL);
    await until(
      async () => repos.webhookEvents.parkedRows,
      (n) => n === 0,
      'every parked row stored',
      QUICK_POLL,
    );
    const rows = await signalledRows();
    expect(rows.length).toBeLessThanOrEqual(atMost);
    for (const row of rows) expect(row.payload).toContainEqual({ name: 'MessageStatus', value: 'delivered' });
  };
  const statusOf = async (messageId: string) => (await api(`/api/v1/notifications/sms-status/${messageId}`)).body;
  const storeAnswers = async () =>
    (await app.request('/api/v1/notifications/sms-logs?limit=1', { headers: { authorization: `Bearer ${config.ADMIN_TOKEN}` } })).status;

  it('applies a Twilio receipt taken while the store is down, and stores its webhook row once the store is back', async () => {
    const phone = await twilioOnlyNumberWithoutReceipt();
    const { body } = await sendSms({ phone, message: '【幸福氣】瓦斯已送達' });
    const messageId: string = body.message_id;
    // Twilio reports `queued` and `sent` before the receipt: the API reads Twilio's config then, as it checks each one.
    expect((await twilioCallback(messageId, { MessageSid: 'SM-early', MessageStatus: 'queued' })).status).toBe(204);

    await link.cut();
    await until(storeAnswers, (status) => status === 503, 'the in-process API to see the store down', QUICK_POLL);
    const sent = await until(
      () => statusOf(messageId),
      (s) => s.status === 'sent',
      'the send',
      QUICK_POLL,
    );

    const receipt = await twilioCallback(messageId, { MessageSid: sent.provider_message_id, MessageStatus: 'delivered' });
    expect(receipt.status).toBe(204);
    expect(await waitForFinal(messageId)).toMatchObject({ status: 'delivered', provider: 'twilio' });

    // Receipts that need the store are still refused, so that their providers resend them.
    const every8d = await app.request(`/api/v1/webhooks/sms/every8d?token=${config.WEBHOOK_TOKEN}&BatchID=only-a-batch-id&STATUS=100`);
    expect(every8d.status).toBe(503);
    expect(((await every8d.json()) as any).error.code).toBe('store_unavailable');

    await link.open();
    await expectParkedRowStored(messageId);
  });

  it('takes a Twilio receipt that was in hand when the store stopped answering', async () => {
    const phone = await twilioOnlyNumberWithoutReceipt();
    const { body } = await sendSms({ phone, message: '【幸福氣】司機已出發' });
    const messageId: string = body.message_id;
    expect((await twilioCallback(messageId, { MessageSid: 'SM-early', MessageStatus: 'queued' })).status).toBe(204);
    const sent = await until(
      () => statusOf(messageId),
      (s) => s.status === 'sent',
      'the send',
      QUICK_POLL,
    );

    link.hang(); // the receipt's first store call waits for an answer that never comes
    const receipt = await twilioCallback(messageId, { MessageSid: sent.provider_message_id, MessageStatus: 'delivered' });
    expect(receipt.status).toBe(204);
    expect(await waitForFinal(messageId)).toMatchObject({ status: 'delivered', provider: 'twilio' });
    // Its row is parked like the first test's, and stored once the hung link is cut and the store is back.
    await link.cut();
    await link.open();
    await expectParkedRowStored(messageId, { atMost: 2 });
  });
});
