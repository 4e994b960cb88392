import { api, randomMobile, sendSms, simulatorSends, waitForFinal } from '../helpers';
import { taipeiTime } from '../bulk/helpers';

const quietHours = '/api/v1/notifications/settings/quiet-hours';
const setWindows = (windows: unknown[]) => api(quietHours, { method: 'PUT', body: JSON.stringify({ windows }) });

describe('quiet hours for a single send', () => {
  let saved: unknown[];
  beforeAll(async () => {
    saved = (await api(quietHours)).body.windows;
  });
  afterAll(async () => {
    await setWindows(saved);
  });

  it('schedules marketing sent in a quiet window for the window end, says so, and sends it then; notices go at once', async () => {
    const closesAt = Date.now() + 8_000;
    expect((await setWindows([{ start: taipeiTime(-60_000), end: taipeiTime(8_000) }])).status).toBe(200);
    const phone = randomMobile();
    const headers = { 'Idempotency-Key': `promo-${phone}` };
    const promo = await sendSms({ phone, message: '【幸福氣】冬季優惠，桶裝瓦斯95折', message_type: 'marketing' }, headers);
    expect(promo.status).toBe(202);
    expect(promo.body.status).toBe('scheduled');
    const scheduledAt = Date.parse(promo.body.scheduled_at);
    expect(Math.abs(scheduledAt - closesAt)).toBeLessThan(1_500); // the window ends on a whole second
    expect(promo.body.warnings).toEqual([
      expect.stringMatching(/^marketing is not sent in quiet hours: scheduled for \d{4}-\d\d-\d\d \d\d:\d\d Asia\/Taipei$/),
    ]);

    const repeated = await sendSms({ phone, message: '【幸福氣】冬季優惠，桶裝瓦斯95折', message_type: 'marketing' }, headers);
    expect(repeated.body).toMatchObject({ message_id: promo.body.message_id, status: 'scheduled' });

    const notice = await sendSms({ phone: randomMobile(), message: '【幸福氣】司機已出發', message_type: 'delivery_notification' });
    const general = await sendSms({ phone: randomMobile(), message: '【幸福氣】系統維護通知', message_type: 'general' });
    expect([notice.body.status, general.body.status, notice.body.scheduled_at]).toEqual(['queued', 'queued', null]);
    expect((await waitForFinal(notice.body.message_id)).status).toBe('delivered');
    expect((await waitForFinal(general.body.message_id)).status).toBe('delivered');

    // The notices were delivered inside the window; the promotion has not left.
    expect((await api(`/api/v1/notifications/sms-status/${promo.body.message_id}`)).body).toMatchObject({
      status: 'scheduled',
      scheduled_at: promo.body.scheduled_at,
      attempts: [],
    });
    expect(await simulatorSends('every8d', { phone })).toEqual([]);

    const final = await waitForFinal(promo.body.message_id, 30_000);
    expect(final.status).toBe('delivered');
    expect(Date.parse(final.sent_at)).toBeGreaterThanOrEqual(scheduledAt);
    expect(await simulatorSends('every8d', { phone })).toHaveLength(1);
  });

  it('sends marketing at once outside quiet hours', async () => {
    await setWindows([]);
    const { body } = await sendSms({ phone: randomMobile(), message: '【幸福氣】新年快樂', message_type: 'marketing' });
    expect(body).toMatchObject({ status: 'queued', scheduled_at: null, warnings: [] });
    expect((await waitForFinal(body.message_id)).status).toBe('delivered');
  });
});
