import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { BOOTSTRAP_KEY_ID } from '../../src/db/apiKeys';
import { chooseVariant } from '../../src/domain/templates';
import { messageIdForKey } from '../../src/services/smsIntake';
import { workflowIdFor } from '../../src/domain/sms';
import { api, randomMobile, sendSms, setBehaviour, simulatorSends, waitForFinal, withDb, withTemporal } from '../helpers';

const uniqueCode = (prefix: string) => `${prefix}_${randomBytes(4).toString('hex')}`;
const createTemplate = (body: Record<string, unknown>) => api('/api/v1/notifications/sms-templates', { method: 'POST', body: JSON.stringify(body) });
const fieldsOf = (body: any): string[] => body.error.details.map((d: { field: string }) => d.field);

describe('template management', () => {
  it('creates, lists, reads and updates a template, bumping its version and auditing each change', async () => {
    const code = uniqueCode('reminder');
    const created = await createTemplate({ code, name: '提醒', content: '【幸福氣】{name}您好' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ code, version: 1, is_active: true, placeholders: ['name'], variants: [] });
    const id = created.body.id;

    expect((await api(`/api/v1/notifications/sms-templates/${id}`)).body.code).toBe(code);
    const updated = await api(`/api/v1/notifications/sms-templates/${id}`, {
      method: 'PUT',
      body: JSON.stringify({ content: '【幸福氣】{name}您好！', version: 1 }),
    });
    expect(updated.body).toMatchObject({ version: 2, content: '【幸福氣】{name}您好！' });
    const stale = await api(`/api/v1/notifications/sms-templates/${id}`, { method: 'PUT', body: JSON.stringify({ name: 'x', version: 1 }) });
    expect(stale.status).toBe(409);

    const deactivated = await api(`/api/v1/notifications/sms-templates/${id}`, { method: 'PUT', body: JSON.stringify({ is_active: false }) });
    expect(deactivated.body).toMatchObject({ version: 3, is_active: false });
    const active = (await api('/api/v1/notifications/sms-templates?is_active=true')).body.templates.map((t: any) => t.code);
    const inactive = (await api('/api/v1/notifications/sms-templates?is_active=false')).body.templates.map((t: any) => t.code);
    expect(active).not.toContain(code);
    expect(inactive).toContain(code);

    const audit = await withDb((db) => db.collection('audit_log').find({ 'target.id': id }).sort({ at: 1 }).toArray());
    expect(audit.map((a) => a.action)).toEqual(['template.created', 'template.updated', 'template.updated']);
    expect(audit[1]).toMatchObject({ actor: BOOTSTRAP_KEY_ID, before: { version: 1 }, after: { version: 2 } });
  });

  it('answers 409 for a duplicate code', async () => {
    const code = uniqueCode('dup');
    expect((await createTemplate({ code, name: 'a', content: '【幸福氣】x' })).status).toBe(201);
    const again = await createTemplate({ code, name: 'b', content: '【幸福氣】y' });
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: 'duplicate_code', details: [{ field: 'code' }] });
  });

  it.each([
    ['a bad code', { code: 'Bad Code', name: 'n', content: 'x' }, 'code'],
    ['an empty content', { code: 'ok_code', name: 'n', content: ' ' }, 'content'],
    ['a malformed placeholder', { code: 'ok_code', name: 'n', content: 'hi {name' }, 'content'],
    ['a zero weight', { code: 'ok_code', name: 'n', content: 'x', variants: [{ id: 'A', content: 'a', weight: 0 }] }, 'variants.0.weight'],
    [
      'duplicate variant ids',
      {
        code: 'ok_code',
        name: 'n',
        content: 'x',
        variants: [
          { id: 'A', content: 'a', weight: 1 },
          { id: 'A', content: 'b', weight: 1 },
        ],
      },
      'variants',
    ],
    [
      'a winner rule without variants',
      { code: 'ok_code', name: 'n', content: 'x', winner_rule: { min_sends_per_variant: 10, min_delivery_rate_lead: 0.1 } },
      'winner_rule',
    ],
  ])('rejects %s with 422 naming the field', async (_label, body, field) => {
    const { status, body: response } = await createTemplate(body);
    expect(status).toBe(422);
    expect(fieldsOf(response)).toContain(field);
  });

  it('answers 404 for an unknown template', async () => {
    expect((await api('/api/v1/notifications/sms-templates/00000000-0000-4000-8000-000000000000')).status).toBe(404);
  });
});

describe('default templates', () => {
  it('are seeded at start-up, and neither a restart nor `npm run seed` overwrites an operator edit', async () => {
    const list = (await api('/api/v1/notifications/sms-templates')).body.templates;
    const codes = list.map((t: any) => t.code);
    expect(codes).toEqual(expect.arrayContaining(['order_confirmation', 'delivery_on_way', 'delivery_arrived', 'delivery_completed', 'payment_reminder']));
    for (const t of list.filter((t: any) => ['order_confirmation', 'payment_reminder'].includes(t.code))) expect(t.content.startsWith('【幸福氣】')).toBe(true);

    const arrived = list.find((t: any) => t.code === 'delivery_arrived');
    const edited = await api(`/api/v1/notifications/sms-templates/${arrived.id}`, {
      method: 'PUT',
      body: JSON.stringify({ name: `司機抵達（已編輯 ${Date.now()}）` }),
    });
    const seed = spawnSync('node', ['--import', 'tsx', 'scripts/seed.ts'], {
      cwd: resolve(__dirname, '..', '..'),
      env: { ...process.env, MONGODB_URI: process.env.TEST_MONGO_URI, MONGODB_DB: process.env.TEST_MONGO_DB, ADMIN_TOKEN: process.env.TEST_ADMIN_TOKEN },
      encoding: 'utf8',
    });
    expect(seed.stdout).toContain('all default templates already exist');
    const after = (await api(`/api/v1/notifications/sms-templates/${arrived.id}`)).body;
    expect(after).toMatchObject({ name: edited.body.name, version: edited.body.version });
  });
});

describe('sending with a template', () => {
  it('renders delivery_on_way for 王大明 / 30 and reports length, encoding and segments', async () => {
    const phone = randomMobile();
    const { status, body } = await sendSms({
      phone,
      template_code: 'delivery_on_way',
      template_data: { driver_name: '王大明', eta: 30, unused: 'ignored' },
      message_type: 'delivery_notification',
    });
    expect(status).toBe(202);
    const text = '【幸福氣】您的瓦斯正在配送中，司機 王大明 預計 30 分鐘後到達';
    expect(body).toMatchObject({
      template_code: 'delivery_on_way',
      template_version: expect.any(Number),
      variant: 'default',
      encoding: 'UCS-2',
      segments: 1,
      characters: Array.from(text).length,
      warnings: [],
    });
    await waitForFinal(body.message_id);
    expect((await simulatorSends('every8d', { phone }))[0].body).toBe(text);
    const stored = await withDb((db) => db.collection('sms_messages').findOne({ _id: body.message_id } as any));
    expect(stored).toMatchObject({ template_code: 'delivery_on_way', variant: 'default', body: text });
  });

  it('answers 422 naming each missing placeholder, and stores nothing', async () => {
    const phone = randomMobile();
    const { status, body } = await sendSms({ phone, template_code: 'payment_reminder', template_data: { customer: 'A1' } });
    expect(status).toBe(422);
    expect(fieldsOf(body)).toEqual(['template_data.order_number', 'template_data.amount']);
    expect(await withDb((db) => db.collection('sms_messages').countDocuments({ phone_national: phone }))).toBe(0);
  });

  it('answers 422 for both or neither of message and template_code, and for an unknown template', async () => {
    expect(fieldsOf((await sendSms({ phone: randomMobile(), message: 'x', template_code: 'delivery_on_way' })).body)).toContain('template_code');
    expect(fieldsOf((await sendSms({ phone: randomMobile() })).body)).toContain('message');
    expect(fieldsOf((await sendSms({ phone: randomMobile(), template_code: 'no_such_template' })).body)).toContain('template_code');
  });

  it('warns when the rendered text needs more than one segment', async () => {
    const code = uniqueCode('long');
    await createTemplate({ code, name: 'long', content: `【幸福氣】${'很'.repeat(60)}{x}` });
    const { body } = await sendSms({ phone: randomMobile(), template_code: code, template_data: { x: '長長長長長長長長長長' } });
    expect(body).toMatchObject({ segments: 2 });
    expect(body.warnings[0]).toMatch(/2 segments/);
  });
});

describe('A/B variants', () => {
  /** An Idempotency-Key whose message id draws the wanted variant, so a test can steer outcomes per variant. */
  const keyFor = (variants: { id: string; content: string; weight: number }[], wanted: string) => {
    for (;;) {
      const key = `ab-${randomBytes(6).toString('hex')}`;
      if (chooseVariant(variants, messageIdForKey(BOOTSTRAP_KEY_ID, key)).id === wanted) return key;
    }
  };

  it('sticks to one variant per message and reports per-variant stats after mixed receipts', async () => {
    const variants = [
      { id: 'A', content: '【幸福氣】A {n}', weight: 50 },
      { id: 'B', content: '【幸福氣】B {n}', weight: 50 },
    ];
    const created = (await createTemplate({ code: uniqueCode('ab'), name: 'ab', content: '【幸福氣】x', variants })).body;
    const plan = [
      ['A', 'delivered'],
      ['A', 'delivered'],
      ['B', 'delivered'],
      ['B', 'undelivered'],
    ] as const;
    const sent = await Promise.all(
      plan.map(async ([variant, receipt]) => {
        const phone = randomMobile();
        await setBehaviour('every8d', phone, { receipt });
        const key = keyFor(variants, variant);
        const response = await sendSms({ phone, template_code: created.code, template_data: { n: 1 } }, { 'Idempotency-Key': key });
        expect(response.body.variant).toBe(variant);
        expect(response.body.message_id).toBe(messageIdForKey(BOOTSTRAP_KEY_ID, key));
        return response.body.message_id;
      }),
    );
    await Promise.all(sent.map((id) => waitForFinal(id)));
    const stats = (await api(`/api/v1/notifications/sms-templates/${created.id}/stats`)).body;
    expect(stats.variants).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ variant: 'A', sent: 2, delivered: 2, undelivered: 0, delivery_rate: 1, avg_segments: 1, total_cost: 1.4 }),
        expect.objectContaining({ variant: 'B', sent: 2, delivered: 1, undelivered: 1, delivery_rate: 0.5 }),
      ]),
    );
  });

  it('ends an A/B test on request (winner_rule null) or when fewer than two variants are left', async () => {
    const rule = { min_sends_per_variant: 5, min_delivery_rate_lead: 0.2 };
    const variants = [
      { id: 'a', content: '【幸福氣】甲', weight: 50 },
      { id: 'b', content: '【幸福氣】乙', weight: 50 },
    ];
    const put = (id: string, body: unknown) => api(`/api/v1/notifications/sms-templates/${id}`, { method: 'PUT', body: JSON.stringify(body) });
    const ended = (await createTemplate({ code: uniqueCode('ab_end'), name: 'ab', content: '【幸福氣】x', variants, winner_rule: rule })).body;
    expect(ended.winner_rule).toEqual(rule);
    const cleared = await put(ended.id, { winner_rule: null });
    expect([cleared.status, cleared.body.winner_rule, cleared.body.variants.length]).toEqual([200, null, 2]);

    const shrunk = (await createTemplate({ code: uniqueCode('ab_one'), name: 'ab', content: '【幸福氣】x', variants, winner_rule: rule })).body;
    const left = await put(shrunk.id, { variants: [{ ...variants[0], weight: 100 }] });
    expect([left.status, left.body.winner_rule]).toEqual([200, null]);
    // A rule still needs two variants to compare.
    const refused = await put(shrunk.id, { winner_rule: rule });
    expect([refused.status, refused.body.error.details.map((d: { field: string }) => d.field)]).toEqual([422, ['winner_rule']]);
    expect((await api(`/api/v1/notifications/sms-templates/${shrunk.id}`)).body.winner_rule).toBeNull();
  });

  it('declares a winner when the rule is met, moving all weight to it and auditing the decision', async () => {
    const variants = [
      { id: 'good', content: '【幸福氣】好 {n}', weight: 50 },
      { id: 'bad', content: '【幸福氣】壞 {n}', weight: 50 },
    ];
    const created = (
      await createTemplate({
        code: uniqueCode('win'),
        name: 'win',
        content: '【幸福氣】x',
        variants,
        winner_rule: { min_sends_per_variant: 2, min_delivery_rate_lead: 0.5 },
      })
    ).body;
    const plan = [
      ['good', 'delivered'],
      ['good', 'delivered'],
      ['bad', 'undelivered'],
      ['bad', 'undelivered'],
    ] as const;
    for (const [variant, receipt] of plan) {
      const phone = randomMobile();
      await setBehaviour('every8d', phone, { receipt });
      const { body } = await sendSms({ phone, template_code: created.code, template_data: { n: 1 } }, { 'Idempotency-Key': keyFor(variants, variant) });
      await waitForFinal(body.message_id);
    }
    let template: any;
    for (let i = 0; i < 50 && !template?.winner; i++) {
      template = (await api(`/api/v1/notifications/sms-templates/${created.id}`)).body;
      if (!template.winner) await new Promise((r) => setTimeout(r, 100));
    }
    expect(template.winner.variant).toBe('good');
    expect(template.variants.map((v: any) => [v.id, v.weight])).toEqual([
      ['good', 100],
      ['bad', 0],
    ]);
    const audit = await withDb((db) => db.collection('audit_log').findOne({ 'target.id': created.id, action: 'template.winner_declared' }));
    expect(audit).toMatchObject({ actor: 'system', after: { winner: 'good' } });
    // Read after the decision (the loser at weight 0), it saves back as it is.
    const asRead = (await api(`/api/v1/notifications/sms-templates/${created.id}`)).body;
    const savedBack = await api(`/api/v1/notifications/sms-templates/${created.id}`, {
      method: 'PUT',
      body: JSON.stringify({ name: asRead.name, variants: asRead.variants }),
    });
    expect(savedBack.status).toBe(200);
    expect(savedBack.body.winner).toMatchObject({ variant: 'good' }); // nothing changed: the decision stands
    const next = await sendSms({ phone: randomMobile(), template_code: created.code, template_data: { n: 2 } }, { 'Idempotency-Key': keyFor(variants, 'bad') });
    expect(next.body.variant).toBe('good');
    await waitForFinal(next.body.message_id);

    // Rewriting the losing variant starts a new round, judged on new sends only: the old figures would name the
    // same winner again on the very next message.
    const rewritten = [variants[0], { id: 'bad', content: '【幸福氣】改寫 {n}', weight: 50 }];
    const edited = await api(`/api/v1/notifications/sms-templates/${created.id}`, { method: 'PUT', body: JSON.stringify({ variants: rewritten }) });
    expect(edited.body.winner).toBeNull();
    const phone = randomMobile();
    await setBehaviour('every8d', phone, { receipt: 'delivered' });
    const one = await sendSms({ phone, template_code: created.code, template_data: { n: 3 } }, { 'Idempotency-Key': keyFor(rewritten, 'good') });
    // Its workflow applies the winner rule after the receipt: done once it has closed.
    await withTemporal((client) => client.workflow.getHandle(workflowIdFor(one.body.message_id)).result());
    expect((await api(`/api/v1/notifications/sms-templates/${created.id}`)).body.winner).toBeNull();
    const stats = (await api(`/api/v1/notifications/sms-templates/${created.id}/stats`)).body;
    expect(stats.current_round.map((v: any) => [v.variant, v.delivered, v.undelivered])).toEqual(
      expect.arrayContaining([
        ['good', 1, 0],
        ['bad', 0, 0],
      ]),
    );
    expect(stats.variants.find((v: any) => v.variant === 'good').delivered).toBe(4);
  });
});
