import { api, apiUrl, randomMobile, sendSms } from '../helpers';
import { sendBulk } from '../bulk/helpers';

describe('bounded work per request', () => {
  it('answers a bulk upload with the first 1 000 rejected rows and a count of the rest', async () => {
    const recipients = [{ phone: randomMobile() }, ...Array.from({ length: 1_004 }, (_, i) => ({ phone: `bad-${i}` }))];
    const { status, body } = await sendBulk({ batch_name: 'many bad rows', message: 'x', recipients });
    expect(status).toBe(202);
    expect(body.accepted).toBe(1);
    expect(body.rejected).toHaveLength(1_000);
    expect(body.rejected[0].index).toBe(1);
    expect(body.rejected[999].index).toBe(1_000);
    expect(body).toMatchObject({ rejected_count: 1_004, rejected_omitted: 4 });
  });

  it('gives /codec/* the same 64 KiB body limit as the API', async () => {
    const payloads = [{ metadata: {}, data: Buffer.alloc(70_000).toString('base64') }];
    const response = await api('/codec/decode', { method: 'POST', body: JSON.stringify({ payloads }) });
    expect(response.status).toBe(413);
    expect(response.body.error.code).toBe('payload_too_large');
  });

  it('bounds a CSV export to its row limit, and refuses a limit above 100 000', async () => {
    const phone = randomMobile();
    for (let i = 0; i < 3; i++) expect((await sendSms({ phone, message: `export ${i}`, message_type: 'order_confirmation' })).status).toBe(202);
    const csv = await fetch(`${apiUrl()}/api/v1/notifications/sms-logs/export.csv?phone=${phone}&limit=2`, {
      headers: { authorization: `Bearer ${process.env.TEST_ADMIN_TOKEN}` },
    });
    expect(csv.headers.get('x-export-row-limit')).toBe('2');
    expect((await csv.text()).trim().split('\n')).toHaveLength(3); // header + 2 rows
    const tooMany = await api(`/api/v1/notifications/sms-logs/export.csv?limit=100001`);
    expect(tooMany.status).toBe(422);
    expect(tooMany.body.error.details[0].field).toBe('limit');
  });
});
