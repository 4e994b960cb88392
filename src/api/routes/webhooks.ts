import { Hono, type Context } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';
import twilio from 'twilio';
import type { ProviderConfig, ProviderRepository } from '../../db/providers';
import { every8dReport } from '../../providers/every8d';
import { mitakeReport } from '../../providers/mitake';
import { twilioReport } from '../../providers/twilio';
import type { InboundReplies } from '../../services/inboundReplies';
import type { IncomingReceipt, ReceiptIntake } from '../../services/receiptIntake';
import { ApiError } from '../../errors';
import { metrics } from '../../metrics';
import { secretsEqual } from '../auth';
import { storeUnavailable } from '../errors';
import { isStoreUnreachable } from '../../db/storeHealth';
import { clientAddress, ipMatches } from '../ipAllowlist';

/** Every8d and Mitake sign nothing: their callback URLs carry our token, optionally from known addresses only. */
export interface WebhookGuard {
  /** The current token and, during a rotation, the previous one. */
  tokens: string[];
  ipAllowlist: string[];
  /** Proxies whose X-Forwarded-For is believed (see `clientAddress`). */
  trustedProxies: string[];
}

export interface WebhookDeps {
  guard: WebhookGuard;
  /** Counts a refused call for the "webhook errors" alert. */
  countRejection: () => Promise<void>;
  receipts: ReceiptIntake;
  /** Customer replies (MO): opt-out keywords suppress marketing. */
  inbound: InboundReplies;
  providers: ProviderRepository;
  /** Whether the store is known to be unreachable: receipts that name their message are then taken without it. */
  storeDown: () => boolean;
  /** Resolves once the store is found unreachable (StoreHealth.untilDown). */
  untilStoreDown: () => { promise: Promise<'down'>; cancel: () => void };
  /** What Twilio signed: our public base URL, as configured there (proxies change what we see locally). */
  publicBaseUrl: string;
  log: (message: string, fields: Record<string, unknown>) => void;
}

/** The delivery-receipt routes, which stay open while the store is down (see `acceptReceipt`). */
export const RECEIPT_ROUTES = ['/twilio', '/mitake', '/every8d'];

/** Delivery-receipt and inbound-reply callbacks. Each provider's acknowledgement is what it expects, or it resends. */
export function webhookRoutes(deps: WebhookDeps) {
  const app = new Hono();
  const acceptReceipt = async (receipt: IncomingReceipt) => {
    if (!deps.storeDown()) return deps.receipts.accept(receipt);
    const disposition = await deps.receipts.acceptWithoutStore(receipt);
    if (disposition === 'needs_store') throw storeUnavailable();
    return disposition;
  };
  const twilioSigning = new LastKnownTwilioConfig(deps);
  const receiptRoute = (handle: (c: Context) => Promise<Response>) => (c: Context) => takenEvenIfTheStoreFails(c, handle, deps);

  app.post(
    '/twilio',
    receiptRoute(async (c) => {
      const { form, fields } = await readFields(c);
      await assertTwilioSignature(c, form, await twilioSigning.get(), deps);
      const report = twilioReport(fields);
      await acceptReceipt({
        provider: 'twilio',
        method: 'POST',
        fields,
        messageId: c.req.query('message_id'),
        providerMessageId: fields.MessageSid,
        report,
      });
      return c.body(null, 204);
    }),
  );

  // Inbound messages: the number's "A message comes in" webhook. Signed like receipts; empty TwiML = no auto-reply.
  app.post('/twilio/inbound', async (c) => {
    const { form, fields } = await readFields(c);
    await assertTwilioSignature(c, form, await twilioSigning.get(), deps);
    await deps.inbound.accept({ provider: 'twilio', from: fields.From ?? '', text: fields.Body ?? '' });
    return c.body('<?xml version="1.0" encoding="UTF-8"?><Response></Response>', 200, { 'content-type': 'text/xml' });
  });

  // Mitake pushes replies to a URL set up on the account [inferred field names, see docs/providers.md]; it carries our token.
  app.on(['GET', 'POST'], '/mitake/inbound', async (c) => {
    const { fields, token } = await readFields(c);
    await assertUnsignedWebhookAllowed(c, token, deps);
    await deps.inbound.accept({
      provider: 'mitake',
      from: fields.srcaddr ?? fields.mobile ?? fields.dstaddr ?? '',
      text: fields.smbody ?? fields.msg ?? fields.text ?? '',
    });
    return c.text('OK');
  });

  app.on(
    ['GET', 'POST'],
    '/mitake',
    receiptRoute(async (c) => {
      const { fields, token } = await readFields(c);
      await assertUnsignedWebhookAllowed(c, token, deps);
      const msgid = fields.msgid ?? '';
      const report = msgid ? mitakeReport(msgid, fields.StatusFlag ?? '') : undefined;
      await acceptReceipt({
        provider: 'mitake',
        method: c.req.method,
        fields,
        messageId: fields.message_id,
        providerMessageId: msgid || undefined,
        report,
      });
      // Mitake treats any other reply as "not received" and sends the report again.
      return c.text(`magicid=sms_gateway_rpack\nmsgid=${msgid}\n`);
    }),
  );

  app.on(
    ['GET', 'POST'],
    '/every8d',
    receiptRoute(async (c) => {
      const { fields, token } = await readFields(c);
      await assertUnsignedWebhookAllowed(c, token, deps);
      const batchId = fields.BatchID ?? '';
      const report = batchId ? every8dReport(batchId, fields.STATUS ?? '') : undefined;
      // STATUS 999 is not a receipt but a customer's reply (MO), on the same account callback: text in SM, number in RM.
      if (fields.STATUS === EVERY8D_INBOUND_REPLY) {
        if (deps.storeDown()) throw storeUnavailable(); // the opt-out ledger needs it; Every8d resends
        await deps.inbound.accept({ provider: 'every8d', from: fields.RM ?? '', text: fields.SM ?? '' });
      }
      // SUBJECT names our message for sends that carried it (providers/every8d.ts); older ones are matched by BatchID.
      else
        await acceptReceipt({
          provider: 'every8d',
          method: c.req.method,
          fields,
          messageId: fields.SUBJECT,
          providerMessageId: batchId || undefined,
          report,
        });
      return c.text('OK');
    }),
  );

  return app;
}

const EVERY8D_INBOUND_REPLY = '999';

/** How long a receipt whose store call failed waits for the store-down ping to agree before it is answered 503. */
const PING_AGREES_MS = 2_000;

/**
 * A receipt route run on the store, and run again without it if the store fails while the receipt is in hand: the
 * ping finds it down, or a store call finds it unreachable. Twilio does not resend a receipt answered 503, so one
 * caught in the first second of an outage would be lost. The second run takes the store-down path (acceptReceipt),
 * which signals a receipt that names its message and parks its row. The first run may still finish once the store
 * answers, so such a receipt can be signalled twice (its workflow takes one) and stored twice in webhook_events.
 */
async function takenEvenIfTheStoreFails(c: Context, handle: (c: Context) => Promise<Response>, deps: WebhookDeps): Promise<Response> {
  if (deps.storeDown()) return handle(c);
  const down = deps.untilStoreDown();
  try {
    const first = handle(c);
    first.catch(() => undefined); // it may fail after the second run answered
    const outcome = await Promise.race([first, down.promise]).catch(async (err) => {
      if (!isStoreUnreachable(err)) throw err;
      let timer: NodeJS.Timeout | undefined;
      const undecided = new Promise<'undecided'>((r) => (timer = setTimeout(() => r('undecided'), PING_AGREES_MS)));
      const agreed = await Promise.race([down.promise, undecided]).finally(() => clearTimeout(timer));
      if (agreed !== 'down') throw err;
      return agreed;
    });
    if (outcome !== 'down') return outcome;
  } finally {
    down.cancel();
  }
  deps.log('receipt taken without the store: it failed while the receipt was in hand', { path: c.req.path });
  return handle(c);
}

/** Query string and, for form posts, the body fields (kept apart too: Twilio signs only the body fields). */
async function readFields(c: Context): Promise<{ form: Record<string, string>; fields: Record<string, string>; token?: string }> {
  const form: Record<string, string> = {};
  if (c.req.method === 'POST' && (c.req.header('content-type') ?? '').includes('application/x-www-form-urlencoded')) {
    const body = await c.req.parseBody();
    for (const [k, v] of Object.entries(body)) if (typeof v === 'string') form[k] = v;
  }
  // The webhook token authenticates the call and goes no further: never into webhook_events, logs or signals.
  const { token, ...fields } = { ...c.req.query(), ...form };
  return { form, fields, token };
}

async function assertUnsignedWebhookAllowed(c: Context, token: string | undefined, deps: WebhookDeps): Promise<void> {
  const given = token ?? '';
  // Every candidate is compared (constant time each), so timing does not tell which token nearly matched.
  const matches = deps.guard.tokens.map((t) => secretsEqual(given, t));
  if (!matches.includes(true)) {
    deps.log('rejected a receipt without a valid webhook token', { path: c.req.path });
    metrics().webhookRejections.inc({ provider: c.req.path.split('/').pop() ?? '', reason: 'token' });
    await deps.countRejection();
    throw new ApiError(403, 'invalid_token', 'Missing or wrong webhook token');
  }
  if (deps.guard.ipAllowlist.length === 0) return;
  const address = clientAddress(getConnInfo(c).remote.address ?? '', c.req.header('x-forwarded-for'), deps.guard.trustedProxies);
  if (!deps.guard.ipAllowlist.some((entry) => ipMatches(address, entry))) {
    deps.log('rejected a receipt from an address outside the allowlist', { path: c.req.path, address });
    metrics().webhookRejections.inc({ provider: c.req.path.split('/').pop() ?? '', reason: 'address' });
    await deps.countRejection();
    throw new ApiError(403, 'forbidden_address', 'This address may not deliver receipts');
  }
}

/**
 * Twilio's config (its auth token signs every callback), read from the store for each callback while the store is
 * up, and the last one read while it is down: a receipt taken without the store is checked like any other. Before
 * the first read there is nothing to check against, and the callback is answered 503.
 */
class LastKnownTwilioConfig {
  private last?: ProviderConfig;

  constructor(private readonly deps: Pick<WebhookDeps, 'providers' | 'storeDown'>) {}

  async get(): Promise<ProviderConfig | null> {
    if (this.deps.storeDown()) {
      if (!this.last) throw storeUnavailable();
      return this.last;
    }
    const config = await this.deps.providers.get('twilio');
    this.last = config ?? undefined;
    return config;
  }
}

async function assertTwilioSignature(c: Context, form: Record<string, string>, config: ProviderConfig | null, deps: WebhookDeps): Promise<void> {
  const signature = c.req.header('x-twilio-signature');
  const url = `${deps.publicBaseUrl}${c.req.path}${new URL(c.req.url).search}`;
  const valid = Boolean(signature && config && twilio.validateRequest(config.credentials.auth_token, signature, url, form));
  if (!valid) {
    deps.log('rejected twilio receipt with a bad signature', { path: c.req.path });
    metrics().webhookRejections.inc({ provider: 'twilio', reason: 'signature' });
    await deps.countRejection();
    throw new ApiError(403, 'invalid_signature', 'X-Twilio-Signature does not match this request');
  }
}
