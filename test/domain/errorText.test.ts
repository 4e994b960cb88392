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

  it(`cuts long text to ${MAX_ERROR_TEXT} characters and drops control characters`, () => {
    const safe = publicErrorText(`<html>\r\n${'x'.repeat(10_000)}`, []);
    expect(Array.from(safe)).toHaveLength(MAX_ERROR_TEXT);
    expect(safe).not.toMatch(/[\r\n]/);
  });

  it('leaves a short, clean message alone', () => {
    expect(publicErrorText('every8d -99: 帳號或密碼錯誤', ['secret-password'])).toBe('every8d -99: 帳號或密碼錯誤');
  });
});
