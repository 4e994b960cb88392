import { allFinal, sendBulk, waitForBatch } from '../bulk/helpers';
import { BALANCE_SCHEDULE_ID } from '../../src/workflows/balances';
import { api, randomMobile, sendSms, simulatorSends, simulatorUrl, until, waitForFinal, withDb, withTemporal } from '../helpers';

/** The simulated prepaid account's points (its control API), as a top-up or a drained account would leave them. */
async function setCredit(provider: 'every8d' | 'mitake', credit: number): Promise<void> {
  const response = await fetch(`${simulatorUrl(provider)}/_sim/credit`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ credit }),
  });
  if (!response.ok) throw new Error(`simulator ${provider} refused the credit: ${await response.text()}`);
}

const put = (name: string, body: Record<string, unknown>) => api(`/api/v1/notifications/providers/${name}`, { method: 'PUT', body: JSON.stringify(body) });
const providerView = async (name: string) => (await api('/api/v1/notifications/providers')).body.providers.find((p: any) => p.name === name);

const alertsOf = async (rule: string, subject: string) =>
  (await api('/api/v1/notifications/alerts')).body.alerts.filter((a: any) => a.rule === rule && a.subject === subject);

async function evaluateUntil(rule: string, subject: string, state: 'open' | 'resolved'): Promise<any> {
  return until(
    async () => {
      expect((await api('/api/v1/notifications/alerts/evaluate', { method: 'POST' })).status).toBe(202);
      await new Promise((r) => setTimeout(r, 300));
      return (await alertsOf(rule, subject))[0];
    },
    (alert) => alert?.state === state,
    `${rule}:${subject} ${state}`,
  );
}

/** Asks for the balances until `done`: a trigger that meets a refresh still running is skipped (overlap policy). */
const refreshUntil = (name: string, done: (provider: any) => boolean, what: string) =>
  until(
    async () => {
      expect((await api('/api/v1/notifications/providers/balances/refresh', { method: 'POST' })).status).toBe(202);
      await new Promise((r) => setTimeout(r, 300));
      return providerView(name);
    },
    done,
    what,
  );

const storedEvents = (id: string) => withDb(async (db) => (await db.collection('sms_messages').findOne({ _id: id } as any))!.events as any[]);

/** Both accounts full, and the gateway knowing it (whatever an earlier test file left). */
async function refill(): Promise<void> {
  await setCredit('every8d', 1_000_000);
  await setCredit('mitake', 1_000_000);
  await refreshUntil('every8d', (p) => p.balance?.points >= 1_000, 'every8d balance refreshed');
  await refreshUntil('mitake', (p) => p.balance?.points >= 1_000, 'mitake balance refreshed');
}

/**
 * The balance schedule fires on every wall-clock multiple of its interval, so a run that spans one would query a
 * drained account in the middle of a test: the view then says `balance_query`, and routing knows an account is empty
 * before the send the test expects to find it out. Paused, only this file's refreshes ask (a trigger runs anyway).
 */
const pauseBalanceSchedule = (paused: boolean) =>
  withTemporal(async (client) => {
    const schedule = client.schedule.getHandle(BALANCE_SCHEDULE_ID);
    await (paused ? schedule.pause('balances.test.ts') : schedule.unpause('balances.test.ts done'));
  });

describe('provider balances', () => {
  beforeAll(async () => {
    await pauseBalanceSchedule(true);
    await refill();
  });
  afterAll(async () => {
    try {
      await put('twilio', { is_active: true });
      await put('every8d', { balance_alert_below: 1_000 });
      // The balances the next test files route by: the refilled accounts, not this file's empty ones.
      await refill();
    } finally {
      await pauseBalanceSchedule(false);
    }
  });

  it('fails the rest of a batch over to Mitake once Every8d runs out of credit, shows the balance and raises balance_low', async () => {
    await put('every8d', { balance_alert_below: 10 });
    await setCredit('every8d', 3);
    const phones = Array.from({ length: 8 }, () => randomMobile());
    const { body } = await sendBulk({
      recipients: phones.map((phone) => ({ phone })),
      message: '【幸福氣】瓦斯安全檢查通知',
      message_type: 'general',
      batch_name: 'credit',
    });
    const batch = await waitForBatch(body.batch_id, allFinal);
    expect(batch.counts).toEqual({ delivered: 8 });

    // Every8d took the three it could pay for; every other recipient got one text, through Mitake.
    const every8d = await Promise.all(phones.map((phone) => simulatorSends('every8d', { phone })));
    const mitake = await Promise.all(phones.map((phone) => simulatorSends('mitake', { phone })));
    expect(every8d.flat()).toHaveLength(3);
    expect(phones.map((_, i) => every8d[i].length + mitake[i].length)).toEqual(phones.map(() => 1));

    const view = await until(
      () => providerView('every8d'),
      (p) => p.balance?.points === 0,
      'every8d balance 0',
    );
    expect(view.balance).toMatchObject({ points: 0, alert_below: 10, low: true, source: expect.stringMatching(/send_reply|no_credit_reply/) });
    expect(view.balance.daily_spend).toBeGreaterThanOrEqual(3);
    expect(Date.parse(view.balance.runs_out_at)).toBeLessThanOrEqual(Date.now());
    expect((await providerView('mitake')).balance.points).toBeGreaterThan(0);

    const alert = await evaluateUntil('balance_low', 'every8d', 'open');
    expect(alert.message).toContain('every8d has 0 prepaid points left');

    // Known to be empty, Every8d is no longer even tried: routing skips it and says why.
    const phone = randomMobile();
    const next = await waitForFinal((await sendSms({ phone, message: '【幸福氣】司機已出發' })).body.message_id);
    expect(next).toMatchObject({ status: 'delivered', provider: 'mitake' });
    expect(next.attempts.map((a: any) => a.provider)).toEqual(['mitake']);
    const planned = (await storedEvents(next.message_id)).find((e) => e.type === 'route_planned');
    expect(planned.detail.skipped).toContainEqual({ provider: 'every8d', reason: 'insufficient_balance' });

    // A top-up is seen by the balance query, and Every8d takes traffic again; the alert resolves.
    await setCredit('every8d', 500);
    const refilled = await refreshUntil('every8d', (p) => p.balance?.source === 'balance_query' && p.balance.points === 500, 'top-up seen');
    expect(refilled.balance.low).toBe(false);
    await evaluateUntil('balance_low', 'every8d', 'resolved');
    const after = await waitForFinal((await sendSms({ phone: randomMobile(), message: '【幸福氣】已送達' })).body.message_id);
    expect(after).toMatchObject({ status: 'delivered', provider: 'every8d' });
  }, 120_000);

  it('fails clearly when no provider has the credit for a message', async () => {
    await put('twilio', { is_active: false });
    await setCredit('every8d', 0);
    await setCredit('mitake', 0);
    // Both refuse for want of points: the message fails over through them and fails, their balances now known.
    const first = await waitForFinal((await sendSms({ phone: randomMobile(), message: '【幸福氣】付款提醒' })).body.message_id);
    expect(first).toMatchObject({ status: 'failed', error_code: 'all_providers_failed' });
    expect(first.attempts.map((a: any) => [a.provider, a.error_code])).toEqual([
      ['every8d', 'no_credit'],
      ['mitake', 's'],
    ]);

    // The next one is not sent anywhere: it fails at once, saying credit is why.
    const second = await waitForFinal((await sendSms({ phone: randomMobile(), message: '【幸福氣】付款提醒' })).body.message_id);
    expect(second).toMatchObject({ status: 'failed', error_code: 'insufficient_balance', attempts: [] });
    const failed = (await storedEvents(second.message_id)).find((e) => e.type === 'failed');
    expect(failed.detail.message).toMatch(/no provider has the prepaid credit.*every8d, mitake/);
  }, 60_000);
});
