import { api, randomMobile, sendSms } from '../helpers';

/** The stack runs with the default: 30 searches by number per non-admin key per hour. */
const PER_HOUR = 30;
const keyFor = async (role: string) =>
  (await api('/api/v1/api-keys', { method: 'POST', body: JSON.stringify({ name: `lookup ${role}`, role }) })).body as { id: string; key: string };

describe('phone-number searches by non-admins', () => {
  it('are audited and limited per key, in pages and CSV exports alike, with 429 and Retry-After past the limit', async () => {
    const phone = randomMobile();
    expect((await sendSms({ phone, message: 'lookup target' })).status).toBe(202);
    const viewer = await keyFor('viewer');
    for (let i = 0; i < PER_HOUR; i++) {
      const path = i % 2 ? `/api/v1/notifications/sms-logs/export.csv?phone=${phone}` : `/api/v1/notifications/sms-logs?phone=${phone}`;
      expect({ i, status: (await api(path, { token: viewer.key })).status }).toEqual({ i, status: 200 });
    }
    const over = await api(`/api/v1/notifications/sms-logs?phone=${randomMobile()}`, { token: viewer.key });
    expect(over.status).toBe(429);
    expect(over.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(over.body.error.message).toMatch(/phone-number searches/);
    // Browsing without a number is not a lookup and stays open.
    expect((await api('/api/v1/notifications/sms-logs?limit=1', { token: viewer.key })).status).toBe(200);

    const audit = (await api('/api/v1/audit-log?action=sms_logs.phone_lookup&limit=200')).body.entries.filter((e: any) => e.actor === viewer.id);
    expect(audit).toHaveLength(PER_HOUR);
    expect(audit[0].target).toEqual({ type: 'phone', id: `${phone.slice(0, 4)}***${phone.slice(-3)}` });
    expect(JSON.stringify(audit)).not.toContain(phone.slice(4));
  });

  it('keeps each key to its own allowance and leaves admins unlimited', async () => {
    const other = await keyFor('sender');
    expect((await api(`/api/v1/notifications/sms-logs?phone=${randomMobile()}`, { token: other.key })).status).toBe(200);
    for (let i = 0; i < PER_HOUR + 2; i++) expect((await api(`/api/v1/notifications/sms-logs?phone=${randomMobile()}&limit=1`)).status).toBe(200);
  });
});
