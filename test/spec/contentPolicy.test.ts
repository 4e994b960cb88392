import { api, randomMobile, sendSms, simulatorSends, waitForFinal } from '../helpers';
import { sendBulk } from '../bulk/helpers';

const policyPath = '/api/v1/notifications/settings/content-policy';
const templatesPath = '/api/v1/notifications/sms-templates';
const code = (prefix: string) => `${prefix}_${Date.now().toString(36)}${Math.floor(Math.random() * 1e6)}`;

describe('sender identity and registered links / call-back numbers', () => {
  let saved: any;
  const setPolicy = async (change: Record<string, unknown>) => {
    const response = await api(policyPath, { method: 'PUT', body: JSON.stringify({ ...saved, ...change }) });
    expect(response.status).toBe(200);
  };
  beforeAll(async () => {
    saved = (await api(policyPath)).body;
    expect(saved).toMatchObject({ sender_identity: '【幸福氣】', missing_identity: 'prepend' });
  });
  afterEach(async () => {
    await api(policyPath, { method: 'PUT', body: JSON.stringify(saved) });
  });

  it('prepends the identity to a text without it, counting segments after it, and sends that', async () => {
    const phone = randomMobile();
    const text = '幸'.repeat(66); // 66 characters alone; 71 with the identity: two segments
    const { status, body } = await sendSms({ phone, message: text, message_type: 'order_confirmation' });
    expect(status).toBe(202);
    expect(body).toMatchObject({ characters: 71, segments: 2 });
    expect(body.warnings[0]).toBe('the registered sender identity 【幸福氣】 was prepended; segments are counted with it');
    await waitForFinal(body.message_id);
    expect((await simulatorSends('every8d', { phone }))[0].body).toBe(`【幸福氣】${text}`);
  });

  it('rejects a text without it when so set, and audits the setting', async () => {
    await setPolicy({ missing_identity: 'reject' });
    const audit = (await api('/api/v1/audit-log?action=settings.content_policy_updated&limit=1')).body.entries[0];
    expect(audit.after).toMatchObject({ missing_identity: 'reject' });
    const { status, body } = await sendSms({ phone: randomMobile(), message: '您的瓦斯訂單已確認', message_type: 'order_confirmation' });
    expect(status).toBe(422);
    expect(body.error).toMatchObject({
      code: 'content_policy',
      details: [{ field: 'message', message: 'must start with the registered sender identity 【幸福氣】' }],
    });
    const batch = await sendBulk({
      recipients: [{ phone: randomMobile(), message: '沒有署名' }, { phone: randomMobile() }],
      message: '【幸福氣】有署名',
      batch_name: 'identity rows',
    });
    expect(batch.body).toMatchObject({ accepted: 1, rejected: [{ index: 0, reason: 'message must start with the registered sender identity 【幸福氣】' }] });
  });

  it('refuses marketing with an unregistered link or call-back number, naming it; notices are not checked', async () => {
    await setPolicy({ link_domains: ['luckygas.com.tw'], callback_numbers: ['0800-000-123'] });
    const bad = await sendSms({ phone: randomMobile(), message: '【幸福氣】冬季優惠 https://bit.ly/abc 詳洽 02-2345-6789', message_type: 'marketing' });
    expect(bad.status).toBe(422);
    expect(bad.body.error.details).toEqual([
      {
        field: 'message',
        message: 'contains unregistered link https://bit.ly/abc and unregistered call-back number 02-2345-6789 (register it in settings/content-policy)',
      },
    ]);
    const good = await sendSms({
      phone: randomMobile(),
      message: '【幸福氣】冬季優惠 https://shop.luckygas.com.tw/w 詳洽 0800000123',
      message_type: 'marketing',
    });
    expect(good.status).toBe(202);
    const notice = await sendSms({ phone: randomMobile(), message: '【幸福氣】司機電話 0912-000-111', message_type: 'delivery_notification' });
    expect(notice.status).toBe(202);

    const batch = await sendBulk({
      recipients: [{ phone: randomMobile(), message: '【幸福氣】看 evil.example.com' }, { phone: randomMobile() }],
      message: '【幸福氣】優惠',
      message_type: 'marketing',
      batch_name: 'links',
    });
    expect(batch.body).toMatchObject({
      accepted: 1,
      rejected: [{ index: 0, reason: 'message contains unregistered link evil.example.com (register it in settings/content-policy)' }],
    });
    const wholeBatch = await sendBulk({
      recipients: [{ phone: randomMobile() }],
      message: '【幸福氣】優惠 bit.ly/x',
      message_type: 'marketing',
      batch_name: 'links',
    });
    expect(wholeBatch.status).toBe(422);
    expect(wholeBatch.body.error.details[0].field).toBe('message');
  });

  it("checks a campaign as a batch: its message at create, each row's own message row by row", async () => {
    await setPolicy({ link_domains: ['luckygas.com.tw'] });
    const campaign = (body: Record<string, unknown>) =>
      api('/api/v1/notifications/campaigns', {
        method: 'POST',
        body: JSON.stringify({ name: 'links', cron: '0 10 1 * *', message_type: 'marketing', ...body }),
      });
    const whole = await campaign({ message: '【幸福氣】冬季優惠 https://bit.ly/abc', recipients: [{ phone: randomMobile() }] });
    expect(whole.status).toBe(422);
    expect(whole.body.error.details).toEqual([{ field: 'message', message: expect.stringContaining('unregistered link https://bit.ly/abc') }]);

    const rows = await campaign({
      message: '【幸福氣】冬季優惠',
      recipients: [{ phone: randomMobile(), message: '【幸福氣】看 evil.example.com' }, { phone: randomMobile() }],
    });
    expect(rows.status).toBe(201);
    expect(rows.body).toMatchObject({
      recipients: 1,
      rejected: [{ index: 0, reason: 'message contains unregistered link evil.example.com (register it in settings/content-policy)' }],
    });
    expect((await api(`/api/v1/notifications/campaigns/${rows.body.campaign_id}`, { method: 'DELETE' })).status).toBe(204);
  });

  it("checks the text a batch row's template_data makes, as it would a message", async () => {
    await setPolicy({ link_domains: ['luckygas.com.tw'] });
    const template = await api(templatesPath, {
      method: 'POST',
      body: JSON.stringify({ code: code('greet'), name: 'n', content: '【幸福氣】{name} 您好，冬季優惠開跑' }),
    });
    expect(template.status).toBe(201);
    const batch = await sendBulk({
      recipients: [
        { phone: randomMobile(), template_data: { name: '請看 bit.ly/x' } },
        { phone: randomMobile(), template_data: { name: '王先生' } },
      ],
      template_code: template.body.code,
      message_type: 'marketing',
      batch_name: 'links in data',
    });
    expect(batch.status).toBe(202);
    expect(batch.body).toMatchObject({
      accepted: 1,
      rejected: [{ index: 0, reason: 'template_data gives a text that contains unregistered link bit.ly/x (register it in settings/content-policy)' }],
    });
  });

  it('checks templates at create and update, and reports segments, encoding and cost per provider', async () => {
    const missing = await api(templatesPath, {
      method: 'POST',
      body: JSON.stringify({
        code: code('noid'),
        name: 'n',
        content: '您好 {name}',
        variants: [
          { id: 'A', content: '【幸福氣】A', weight: 1 },
          { id: 'B', content: 'B {name}', weight: 1 },
        ],
      }),
    });
    expect(missing.status).toBe(422);
    expect(missing.body.error.details.map((d: any) => d.field)).toEqual(['content', 'variants.1.content']);
    const link = await api(templatesPath, { method: 'POST', body: JSON.stringify({ code: code('link'), name: 'n', content: '【幸福氣】看 bit.ly/x' }) });
    expect(link.body.error.details).toEqual([{ field: 'content', message: expect.stringContaining('unregistered link bit.ly/x') }]);

    const created = await api(templatesPath, { method: 'POST', body: JSON.stringify({ code: code('ok'), name: 'n', content: '【幸福氣】{name}您好' }) });
    expect(created.status).toBe(201);
    const providers = (await api('/api/v1/notifications/providers')).body.providers as any[];
    expect(created.body.analysis).toEqual({
      characters: 7,
      encoding: 'UCS-2',
      segments: 1,
      cost_per_message: Object.fromEntries(providers.map((p) => [p.name, p.price_per_segment])),
    });
    expect(created.body.warnings).toEqual([]);

    const longer = await api(`${templatesPath}/${created.body.id}`, { method: 'PUT', body: JSON.stringify({ content: `【幸福氣】{name}${'長'.repeat(70)}` }) });
    expect(longer.status).toBe(200);
    expect(longer.body.analysis).toMatchObject({ segments: 2 });
    expect(longer.body.warnings[0]).toMatch(/2 segments/);
    const stripped = await api(`${templatesPath}/${created.body.id}`, { method: 'PUT', body: JSON.stringify({ content: '{name}您好' }) });
    expect(stripped.status).toBe(422);
    expect(stripped.body.error.details[0].field).toBe('content');
  });

  it('answers 422 naming the field for a bad policy', async () => {
    const bad = await api(policyPath, { method: 'PUT', body: JSON.stringify({ ...saved, link_domains: ['not a domain'], missing_identity: 'drop' }) });
    expect(bad.status).toBe(422);
    expect(bad.body.error.details.map((d: any) => d.field).sort()).toEqual(['link_domains.0', 'missing_identity']);
  });
});
