import { maskPhone, parseTaiwanPhone } from '../../src/domain/phone';

describe('parseTaiwanPhone', () => {
  it.each([
    ['0912345678', '+886912345678'],
    ['0912-345-678', '+886912345678'],
    ['0912 345 678', '+886912345678'],
    ['+886912345678', '+886912345678'],
    ['+886-912-345-678', '+886912345678'],
    ['886912345678', '+886912345678'],
    ['00886912345678', '+886912345678'],
    ['+886 0912 345 678', '+886912345678'],
    ['(02) 2345-6789', '+886223456789'],
    ['02-2345-6789', '+886223456789'],
    ['03-123-4567', '+88631234567'],
    ['037-123456', '+88637123456'],
    ['04-2345-6789', '+886423456789'],
    ['04-723-4567', '+88647234567'],
    ['049-2345678', '+886492345678'],
    ['07-123-4567', '+88671234567'],
    ['089-123456', '+88689123456'],
    ['082-123456', '+88682123456'],
    ['0826-12345', '+88682612345'],
    ['0836-12345', '+88683612345'],
  ])('accepts %s as %s', (input, e164) => {
    const result = parseTaiwanPhone(input);
    expect(result).toMatchObject({ ok: true, phone: { e164, national: `0${e164.slice(4)}` } });
  });

  it('tells mobiles from landlines', () => {
    expect(parseTaiwanPhone('0912345678')).toMatchObject({ phone: { kind: 'mobile' } });
    expect(parseTaiwanPhone('02-2345-6789')).toMatchObject({ phone: { kind: 'landline' } });
  });

  it.each([
    ['', 'empty'],
    ['091234567', 'one digit short'],
    ['09123456789', 'one digit long'],
    ['0812345678', 'no such prefix length'],
    ['02-234-5678', 'Taipei needs 8 digits'],
    ['+14155550123', 'another country'],
    ['+8612345678901', 'China'],
    ['0912abc678', 'letters'],
    ['0912_345_678', 'underscores'],
    ['912345678', 'no leading zero or country code'],
    ['+', 'just a plus'],
    ['++886912345678', 'double plus'],
  ])('rejects %j (%s) with a reason', (input) => {
    const result = parseTaiwanPhone(input);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(/must|is not/);
  });
});

describe('masking', () => {
  it('shows the first four and last three digits of the national form', () => {
    expect(parseTaiwanPhone('+886912345678')).toMatchObject({ phone: { masked: '0912***678' } });
    expect(maskPhone('0912-345-678')).toBe('0912***678');
  });

  it('masks even numbers it cannot parse', () => {
    expect(maskPhone('+14155550123')).toBe('141***23');
    expect(maskPhone('123')).toBe('***');
  });
});
