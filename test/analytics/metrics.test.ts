import { api, randomMobile, sendSms, waitForFinal } from '../helpers';

describe('Prometheus metrics', () => {
  it('exposes API counters at /metrics to authenticated readers only', async () => {
    const { body } = await sendSms({ phone: randomMobile(), message: 'metrics', message_type: 'payment_reminder' });
    await waitForFinal(body.message_id);
    expect((await api('/metrics', { token: null })).status).toBe(401);
    const viewer = (await api('/api/v1/api-keys', { method: 'POST', body: JSON.stringify({ name: 'prometheus', role: 'viewer' }) })).body.key;
    const scraped = await api('/metrics', { token: viewer });
    expect(scraped.status).toBe(200);
    expect(scraped.body).toMatch(/luckygas_sms_accepted_total\{message_type="payment_reminder"\} [1-9]/);
    expect(scraped.body).toMatch(/luckygas_receipts_total\{provider="every8d",disposition="signalled"\} [1-9]/);
    expect(scraped.body).toMatch(/luckygas_http_requests_total\{method="POST",route="\/api\/v1\/notifications\/send-sms",status="202"\} [1-9]/);
    expect(scraped.body).not.toMatch(/"(09\d{8}|\+8869\d{8})"/); // no number in any label value
  });

  it('exposes provider calls, latency and outcomes from the worker process', async () => {
    const { body } = await sendSms({ phone: randomMobile(), message: 'worker metrics' });
    await waitForFinal(body.message_id);
    const text = await (await fetch(process.env.TEST_WORKER_METRICS_URL!)).text();
    expect(text).toMatch(/luckygas_provider_calls_total\{provider="every8d",outcome="accepted"\} [1-9]/);
    expect(text).toMatch(/luckygas_provider_call_seconds_count\{provider="every8d"\} [1-9]/);
    expect(text).toMatch(/luckygas_sms_status_total\{provider="every8d",status="delivered"\} [1-9]/);
  });
});
