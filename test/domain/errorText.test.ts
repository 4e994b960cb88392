import { MAX_ERROR_TEXT, publicErrorText } from '../../src/domain/errorText';

describe('provider error text shown to clients', () => {
  it('blanks credentials a provider echoed back, plain or URL-encoded', () => {
    const text = 'error: bad request username=luckygas&password=p%40ss%20word&raw=p@ss word';
    const safe = publicErrorText(text, ['luckygas', 'p@ss word']);
    expect(safe).not.toContain('luckygas');
    expect(safe).not.toContain('p@ss');
    expect(safe).not.toContain('p%40ss');
    expect(safe).toContain('[redacted]');
  });

  it('masks the recipient number in each form a provider may echo it', () => {
    const phone = { e164: '+886912345678', national: '0912345678', masked: '0912***678', kind: 'mobile' as const };
    for (const echoed of ["The 'To' number +886912345678 is not a valid phone number.", 'To=%2B886912345678', 'dest 886912345678', 'DEST=0912345678']) {
      const safe = publicErrorText(echoed, [], phone);
      expect(safe).not.toMatch(/912345678/);
      expect(safe).toContain('0912***678');
    }
  });

  it(`cuts long text to ${MAX_ERROR_TEXT} characters and drops control characters`, () => {
    const safe = publicErrorText(`<html>\r\n${'x'.repeat(10_000)}`, []);
    expect(Array.from(safe)).toHaveLength(MAX_ERROR_TEXT);
    expect(safe).not.toMatch(/[\r\n]/);
  });

  it('leaves a short, clean message alone', () => {
    expect(publicErrorText('every8d -99: 帳號或密碼錯誤', ['secret-password'])).toBe('every8d -99: 帳號或密碼錯誤');
  });
});
