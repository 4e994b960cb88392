import { endpointBase } from '../../src/domain/providerEndpoints';

describe('provider endpoint URLs', () => {
  it.each([
    ['every8d', 'https://api.e8d.tw/SMS/BulkSMS', 'https://api.e8d.tw'],
    ['every8d', 'https://oms.every8d.com/API21/HTTP/sendSMS.ashx', 'https://oms.every8d.com'],
    ['every8d', 'https://new.e8d.tw/', 'https://new.e8d.tw'],
    ['mitake', 'https://api.mitake.com.tw/api/mtk/SmSend', 'https://api.mitake.com.tw'],
    ['mitake', 'https://smsapi.mitake.com.tw/api/mtk/SmSend?CharsetURL=UTF8', 'https://smsapi.mitake.com.tw'],
    ['twilio', 'https://api.twilio.com/2010-04-01/Accounts/AC123/Messages.json', 'https://api.twilio.com'],
    ['mitake', 'http://127.0.0.1:4100', 'http://127.0.0.1:4100'],
    ['every8d', 'https://proxy.example/every8d', 'https://proxy.example/every8d'],
  ] as const)('%s %s → base %s', (provider, given, base) => {
    expect(endpointBase(provider, given)).toMatchObject({ ok: true, base });
  });

  it('says when it derived the base', () => {
    expect(endpointBase('every8d', 'https://api.e8d.tw/SMS/BulkSMS')).toMatchObject({ derived: true });
    expect(endpointBase('every8d', 'https://api.e8d.tw')).toMatchObject({ derived: false });
  });

  it.each([
    ['not a URL', 'api.e8d.tw/SMS/BulkSMS', /http\(s\) URL/],
    ['another scheme', 'ftp://api.e8d.tw', /http\(s\) URL/],
    ['credentials in the URL', 'https://user:pw@api.e8d.tw', /user name or password/],
    ['a fragment', 'https://api.e8d.tw/#x', /fragment/],
  ])('rejects %s', (_, given, reason) => {
    const result = endpointBase('every8d', given);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(reason);
  });
});
