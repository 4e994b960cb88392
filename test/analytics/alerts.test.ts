import { createServer, type Server } from 'node:http';
import { api, apiUrl, randomMobile, sendSms, setBehaviour, waitForFinal } from '../helpers';

/** Receives the alert webhook's POSTs, as an operator's alerting endpoint would. */
function startSink(): { server: Server; received: { event: string; alert: { rule: string; subject: string } }[] } {
  const received: { event: string; alert: { rule: string; subject: string } }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      received.push(JSON.parse(body));
      res.writeHead(204).end();
    });
  }).listen(Number(process.env.TEST_ALERT_SINK_PORT), '127.0.0.1');
  return { server, received };
}

async function evaluateUntil(predicate: (alerts: any[]) => boolean): Promise<any[]> {
  for (let i = 0; i < 40; i++) {
    expect((await api('/api/v1/notifications/alerts/evaluate', { method: 'POST' })).status).toBe(202);
    await new Promise((r) => setTimeout(r, 500));
    const alerts = (await api('/api/v1/notifications/alerts')).body.alerts;
    if (predicate(alerts)) return alerts;
  }
  throw new Error('alerts never reached the expected state');
}

const of = (alerts: any[], rule: string, subject: string) => alerts.filter((a) => a.rule === rule && a.subject === subject);

describe('alerts', () => {
  const sink = startSink();
  afterAll(() => sink.server.close());

  it('opens a webhook-errors alert once, notifies, and resolves it when the window has passed', async () => {
    // Earlier test files refuse webhooks too, and one evaluates alerts: an alert they opened (notified before this
    // sink listened) must be resolved first, or this test would only see it resolve.
    await evaluateUntil((alerts) => of(alerts, 'webhook_errors', 'all').every((a) => a.state === 'resolved'));
    sink.received.length = 0;
    for (let i = 0; i < 3; i++) expect((await fetch(`${apiUrl()}/api/v1/webhooks/sms/mitake?token=wrong&msgid=${i}`)).status).toBe(403);
    const opened = await evaluateUntil((alerts) => of(alerts, 'webhook_errors', 'all').some((a) => a.state === 'open'));
    expect(of(opened, 'webhook_errors', 'all').filter((a) => a.state === 'open')).toHaveLength(1);

    await evaluateUntil(() => true); // evaluating again keeps a single open alert
    expect(of((await api('/api/v1/notifications/alerts?state=open')).body.alerts, 'webhook_errors', 'all')).toHaveLength(1);

    await new Promise((r) => setTimeout(r, 8_500)); // the window (8 s in tests) moves past the refusals
    const resolved = await evaluateUntil((alerts) => of(alerts, 'webhook_errors', 'all').every((a) => a.state === 'resolved'));
    expect(of(resolved, 'webhook_errors', 'all')[0].resolved_at).toEqual(expect.any(String));
    const events = sink.received.filter((n) => n.alert.rule === 'webhook_errors').map((n) => n.event);
    expect(events).toEqual(['alert.opened', 'alert.resolved']);
  }, 60_000);

  it('opens a delivery-rate alert for a provider whose receipts say undelivered', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const phone = randomMobile();
      await setBehaviour('every8d', phone, { failure: 'error_code', error_code: '-2' });
      await setBehaviour('mitake', phone, { receipt: 'undelivered' });
      ids.push((await sendSms({ phone, message: 'will not arrive' })).body.message_id);
    }
    await Promise.all(ids.map((id) => waitForFinal(id)));
    const alerts = await evaluateUntil((list) => of(list, 'delivery_rate_low', 'mitake').some((a) => a.state === 'open'));
    expect(of(alerts, 'delivery_rate_low', 'mitake')[0]).toMatchObject({ state: 'open', details: { decided: 3, delivered: 0 } });
    await new Promise((r) => setTimeout(r, 8_500));
    await evaluateUntil((list) => of(list, 'delivery_rate_low', 'mitake').every((a) => a.state === 'resolved'));
  }, 60_000);

  it('opens and resolves the provider-failing, daily-budget and rate-limited alerts', async () => {
    const put = (name: string, body: Record<string, unknown>) => api(`/api/v1/notifications/providers/${name}`, { method: 'PUT', body: JSON.stringify(body) });
    const isOpen = (rule: string, subject: string) => (alerts: any[]) => of(alerts, rule, subject).some((a) => a.state === 'open');
    const isResolved = (rule: string, subject: string) => (alerts: any[]) => of(alerts, rule, subject).every((a) => a.state === 'resolved');

    // Twilio fails once with a threshold of 1: its circuit opens; only a good test send after the cool-down closes it.
    await put('twilio', { circuit_failure_threshold: 1, circuit_cooldown_ms: 1_000 });
    try {
      const phone = randomMobile();
      await setBehaviour('twilio', phone, { failure: 'error_code', error_code: '20003' });
      await waitForFinal((await api('/api/v1/test/send-test-sms', { method: 'POST', body: JSON.stringify({ phone, provider: 'twilio' }) })).body.message_id);
      await evaluateUntil(isOpen('provider_failing', 'twilio'));
      await new Promise((r) => setTimeout(r, 1_100));
      // Past the cool-down the circuit is half-open: no send has succeeded yet, so the alert stays open.
      await evaluateUntil((alerts) => of(alerts, 'provider_failing', 'twilio').some((a) => a.state === 'open' && a.details.cooling_down === false));
      await waitForFinal(
        (await api('/api/v1/test/send-test-sms', { method: 'POST', body: JSON.stringify({ phone: randomMobile(), provider: 'twilio' }) })).body.message_id,
      );
      await evaluateUntil(isResolved('provider_failing', 'twilio'));
    } finally {
      await put('twilio', { circuit_failure_threshold: 1000, circuit_cooldown_ms: 60_000 });
    }

    // Every8d's budget set just above today's spend: one more message reaches it; lifting the budget resolves it.
    const spent = (await api('/api/v1/notifications/providers')).body.providers.find((p: any) => p.name === 'every8d').today.spend;
    await put('every8d', { daily_budget: spent + 0.01 });
    try {
      await waitForFinal((await sendSms({ phone: randomMobile(), message: 'the last one in budget' })).body.message_id);
      await evaluateUntil(isOpen('daily_budget_exceeded', 'every8d'));
    } finally {
      await put('every8d', { daily_budget: 0 });
    }
    await evaluateUntil(isResolved('daily_budget_exceeded', 'every8d'));

    // Three requests refused by a key's rate limit in the window.
    const key = (await api('/api/v1/api-keys', { method: 'POST', body: JSON.stringify({ name: 'noisy', role: 'viewer', rate_limit_per_minute: 1 }) })).body.key;
    for (let i = 0; i < 4; i++) await api('/api/v1/notifications/alerts', { token: key });
    await evaluateUntil(isOpen('rate_limited_often', 'all'));
    await new Promise((r) => setTimeout(r, 8_500));
    await evaluateUntil(isResolved('rate_limited_often', 'all'));
  }, 90_000);
});
