import { LATE_RECEIPT_WHILE_EXPIRING, statusQuery } from '../../src/workflows';
import { deliveryReportSignal } from '../../src/workflows/signals';
import { providerMessageIdFor, report } from './fakes';
import { receiptWhileExpiryIsRecorded, startHarness, startSms, type Harness } from './harness';

let h: Harness;
beforeAll(async () => void (h = await startHarness()));
afterEach(() => h?.cleanUp());
afterAll(() => h?.teardown());

const sentThrough = () => h.fake.named('sendViaProvider').map((c) => c.input.provider);
const unavailable = (code: string) => ({ fails: { type: 'ProviderUnavailable' as const, code } });

describe('sendSmsWorkflow', () => {
  it('delivers through the first provider of the route and records the receipt as final', async () => {
    const handle = await startSms(h, { providers: { every8d: { pushes: 'delivered' } } });
    expect(await handle.result()).toEqual({ status: 'delivered', provider: 'every8d' });
    expect(sentThrough()).toEqual(['every8d']);
    expect(h.fake.named('recordReceipt').map((c) => c.input.final)).toEqual([true]);
  });

  it('takes a receipt that arrives after the send was recorded', async () => {
    const handle = await startSms(h, {});
    const [sent] = await h.fake.waitForCalls('recordSent', 1);
    await handle.signal(deliveryReportSignal, report('every8d', sent.input.providerMessageId, 'delivered'));
    expect(await handle.result()).toEqual({ status: 'delivered', provider: 'every8d' });
  });

  it('fails over in route order past an unavailable and a transiently failing provider', async () => {
    const handle = await startSms(h, {
      providers: { every8d: unavailable('-2'), mitake: { fails: { type: 'ProviderTransient', code: 'http_503' } }, twilio: { pushes: 'delivered' } },
    });
    expect(await handle.result()).toEqual({ status: 'delivered', provider: 'twilio' });
    expect(sentThrough()).toEqual(['every8d', 'mitake', 'twilio']);
    expect((await handle.query(statusQuery)).failedProviders).toEqual([
      { provider: 'every8d', code: '-2' },
      { provider: 'mitake', code: 'http_503' },
    ]);
  });

  it('fails the message once every provider on the route has failed', async () => {
    const handle = await startSms(h, { providers: { every8d: unavailable('-2'), mitake: unavailable('-3'), twilio: unavailable('20003') } });
    expect(await handle.result()).toEqual({ status: 'failed', provider: 'twilio', reason: 'all_providers_failed' });
    expect(h.fake.named('markFinal').map((c) => c.input.status)).toEqual(['failed']);
  });

  it('stops at a message-level rejection without trying another provider', async () => {
    const handle = await startSms(h, { providers: { every8d: { fails: { type: 'MessageRejected', code: '-8' } } } });
    expect(await handle.result()).toEqual({ status: 'failed', provider: 'every8d', reason: '-8' });
    expect(sentThrough()).toEqual(['every8d']);
  });

  it('fails at once when no provider is available', async () => {
    const handle = await startSms(h, { plan: { route: [] } });
    expect(await handle.result()).toEqual({ status: 'failed', reason: 'no_provider_available' });
    expect(sentThrough()).toEqual([]);
  });

  it('says no provider has the credit when that is why the route is empty', async () => {
    const unroutable = { code: 'insufficient_balance', message: 'no provider has the prepaid credit for this message' };
    const handle = await startSms(h, { plan: { route: [], unroutable } });
    expect(await handle.result()).toEqual({ status: 'failed', reason: 'insufficient_balance' });
    expect(h.fake.named('markFinal').map((c) => c.input)).toEqual([expect.objectContaining({ status: 'failed', ...unroutable })]);
  });

  // No time skipping offline (see harness.ts): the deadline is one real second instead of a skipped day.
  it('expires when no receipt arrives before the deadline', async () => {
    const handle = await startSms(h, { plan: { receiptTimeoutMs: 1_000 } });
    expect(await handle.result()).toEqual({ status: 'expired', provider: 'every8d', reason: 'receipt_timeout' });
    expect(h.fake.named('markFinal').map((c) => c.input.status)).toEqual(['expired']);
  });

  // The completion is refused for the new signal and the workflow's replay takes the receipt in time; the store
  // then applies it over the `expired` markFinal wrote (MessageRepository.applyDeliveryReport).
  it('takes a receipt that arrives while it records the expiry', async () => {
    h.fake.holdFinals();
    const handle = await startSms(h, { plan: { receiptTimeoutMs: 1_000 } });
    const [sent] = await h.fake.waitForCalls('recordSent', 1);
    await h.fake.waitForCalls('markFinal', 1);
    const late = report('every8d', sent.input.providerMessageId, 'delivered');
    await handle.signal(deliveryReportSignal, late);
    h.fake.releaseFinals();
    expect(await handle.result()).toEqual({ status: 'delivered', provider: 'every8d' });
    expect(h.fake.named('recordReceipt').map((c) => c.input)).toEqual([{ messageId: expect.any(String), report: late, final: true }]);
  });

  it('applies a receipt that reaches it while a slow store holds the expiry record', async () => {
    const { handle, late } = await receiptWhileExpiryIsRecorded(h);
    expect(await handle.result()).toEqual({ status: 'delivered', provider: 'every8d' });
    expect(h.fake.named('markFinal').map((c) => c.input.status)).toEqual(['expired']);
    expect(h.fake.named('recordReceipt').map((c) => c.input)).toEqual([{ messageId: expect.any(String), report: late, final: true }]);
    // The late path, not a replay's normal one: only that path asks for the patch.
    const events = (await handle.fetchHistory()).events ?? [];
    const patchIds = events.flatMap((e) => {
      const marker = e.markerRecordedEventAttributes;
      const data = marker?.markerName === 'core_patch' ? marker.details?.['patch-data']?.payloads?.[0]?.data : undefined;
      return data ? [JSON.parse(Buffer.from(data).toString()).id] : [];
    });
    expect(patchIds).toContain(LATE_RECEIPT_WHILE_EXPIRING);
  });

  it('reroutes to the next provider when the receipt says undelivered', async () => {
    const handle = await startSms(h, {
      plan: { rerouteOnUndelivered: true },
      providers: { every8d: { pushes: 'undelivered' }, mitake: { pushes: 'delivered' } },
    });
    expect(await handle.result()).toEqual({ status: 'delivered', provider: 'mitake' });
    expect(sentThrough()).toEqual(['every8d', 'mitake']);
    expect(h.fake.named('recordReceipt').map((c) => c.input.final)).toEqual([false, true]);
  });

  it('keeps an undelivered receipt as the outcome when rerouting is off', async () => {
    const handle = await startSms(h, { providers: { every8d: { pushes: 'undelivered' } } });
    expect(await handle.result()).toEqual({ status: 'undelivered', provider: 'every8d' });
    expect(sentThrough()).toEqual(['every8d']);
  });

  it('polls a poll-only provider for its receipt', async () => {
    const handle = await startSms(h, { plan: { pollingProviders: ['mitake'], route: ['mitake'] }, providers: { mitake: { polls: 'delivered' } } });
    expect(await handle.result()).toEqual({ status: 'delivered', provider: 'mitake' });
    const [poll] = h.fake.named('fetchReceipt');
    expect(poll.input.providerMessageId).toBe(providerMessageIdFor('mitake', poll.input.messageId));
  });

  it('checks the template A/B winner rule once the message has its outcome', async () => {
    const handle = await startSms(h, { plan: { abTestTemplate: 'promo' }, providers: { every8d: { pushes: 'delivered' } } });
    await handle.result();
    expect(h.fake.named('applyWinnerRule').map((c) => c.input)).toEqual([{ templateCode: 'promo' }]);
  });
});
