import { createHmac } from 'node:crypto';
import { signCallback, verifyCallbackSignature } from '../../src/client/callbackSignature';

const secret = 'lgcs_test-secret';
const body = '{"message_id":"m1","sequence":1,"status":"sent"}';
const now = 1_790_000_000;

describe('status callback signatures', () => {
  it('signs "<timestamp>.<body>" with HMAC-SHA256 as v1=<hex>', () => {
    const expected = createHmac('sha256', secret).update(`${now}.${body}`).digest('hex');
    expect(signCallback(secret, now, body)).toBe(`v1=${expected}`);
  });

  it('verifies a signature it made, within the tolerance', () => {
    const header = signCallback(secret, now, body);
    expect(verifyCallbackSignature(secret, String(now), body, header, 300, now + 299)).toBe(true);
  });

  it.each([
    ['another secret', 'lgcs_other', String(now), body],
    ['a changed body', secret, String(now), body.replace('sent', 'delivered')],
    ['a changed timestamp', secret, String(now + 1), body],
  ])('refuses a signature checked with %s', (_label, key, timestamp, text) => {
    expect(verifyCallbackSignature(key, timestamp, text, signCallback(secret, now, body), 300, now)).toBe(false);
  });

  it('refuses a timestamp outside the tolerance, either way (replays, skewed clocks)', () => {
    const header = signCallback(secret, now, body);
    expect(verifyCallbackSignature(secret, String(now), body, header, 300, now + 301)).toBe(false);
    expect(verifyCallbackSignature(secret, String(now), body, header, 300, now - 301)).toBe(false);
  });

  it.each([
    ['no header', undefined],
    ['an empty header', ''],
    ['a bare hex digest', signCallback(secret, now, body).slice(3)],
    ['another scheme', signCallback(secret, now, body).replace('v1=', 'v0=')],
    ['a truncated signature', signCallback(secret, now, body).slice(0, -2)],
  ])('refuses %s', (_label, header) => {
    expect(verifyCallbackSignature(secret, String(now), body, header, 300, now)).toBe(false);
  });

  it('refuses a missing or non-numeric timestamp and an empty secret', () => {
    const header = signCallback(secret, now, body);
    expect(verifyCallbackSignature(secret, undefined, body, header, 300, now)).toBe(false);
    expect(verifyCallbackSignature(secret, `${now}abc`, body, header, 300, now)).toBe(false);
    expect(verifyCallbackSignature('', String(now), body, signCallback('', now, body), 300, now)).toBe(false);
  });

  it('accepts any one valid signature of a comma-separated list (secret rotation)', () => {
    const header = `${signCallback('lgcs_old', now, body)}, ${signCallback(secret, now, body)}`;
    expect(verifyCallbackSignature(secret, String(now), body, header, 300, now)).toBe(true);
  });
});
