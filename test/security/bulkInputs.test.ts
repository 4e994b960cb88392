import { randomUUID } from 'node:crypto';
import { api, randomMobile } from '../helpers';
import { sendBulk } from '../bulk/helpers';

/** A template of its own per test, so edits elsewhere never change what is rendered here. */
async function template(content: string): Promise<string> {
  const code = `sec_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  expect(
    (await api('/api/v1/notifications/sms-templates', { method: 'POST', body: JSON.stringify({ code, name: code, content, is_active: true }) })).status,
  ).toBe(201);
  return code;
}

describe('bulk template_data gets the same validation as a single send', () => {
  it('rejects rows with $ or . keys or control characters one by one, and sends the good row', async () => {
    const code = await template('【幸福氣】Hi {name}');
    const good = randomMobile();
    const { status, body } = await sendBulk({
      batch_name: 'hostile rows',
      template_code: code,
      recipients: [
        { phone: randomMobile(), template_data: { name: 'a', $where: 'sleep(1000)' } },
        { phone: randomMobile(), template_data: { name: 'a', 'x.y': 'b' } },
        { phone: randomMobile(), template_data: { name: 'a\u0000b' } },
        { phone: randomMobile(), template_data: { name: '\u001b[2J' } },
        { phone: randomMobile(), template_data: { name: { $ne: null } } },
        { phone: good, template_data: { name: 'Ann' } },
      ],
    });
    expect(status).toBe(202);
    expect(body.accepted).toBe(1);
    expect(body.rejected.map((r: any) => r.index)).toEqual([0, 1, 2, 3, 4]);
    for (const r of body.rejected) expect(r.reason).toMatch(/^template_data/);
    expect(body.rejected[0].reason).toMatch(/^template_data\.\$where: invalid key/i);
    expect(body.rejected[2].reason).toMatch(/control characters/);
  });

  it('answers 422 naming the rows when every row is hostile, never 500', async () => {
    const code = await template('【幸福氣】Hi {name}');
    const { status, body } = await sendBulk({
      batch_name: 'all hostile',
      template_code: code,
      recipients: [{ phone: randomMobile(), template_data: { $where: '1' } }],
    });
    expect(status).toBe(422);
    expect(body.error.details[0].field).toBe('recipients.0');
  });

  it('treats {constructor} as missing data rather than rendering inherited code', async () => {
    const code = await template('【幸福氣】Hi {constructor}');
    const single = await api('/api/v1/notifications/send-sms', {
      method: 'POST',
      body: JSON.stringify({ phone: randomMobile(), template_code: code, template_data: {} }),
    });
    expect(single.status).toBe(422);
    expect(single.body.error.details[0].field).toBe('template_data.constructor');
    const bulk = await sendBulk({ batch_name: 'constructor', template_code: code, recipients: [{ phone: randomMobile(), template_data: {} }] });
    expect(bulk.status).toBe(422);
    expect(bulk.body.error.details[0].message).toMatch(/missing constructor/);
  });
});
