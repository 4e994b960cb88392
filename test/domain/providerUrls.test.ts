import { hostAllowed, providerUrlProblem } from '../../src/domain/providerUrls';

const policy = (development: boolean) => ({ allowedHosts: { every8d: ['*.e8d.tw'], twilio: ['api.twilio.com'] }, development });

describe('provider endpoint allowlist', () => {
  it('accepts https to an allowed host', () => {
    expect(providerUrlProblem('every8d', 'https://api.e8d.tw/SMS/BulkSMS', policy(false))).toBeUndefined();
    expect(providerUrlProblem('twilio', 'https://api.twilio.com', policy(false))).toBeUndefined();
  });

  it.each([
    ['http to an allowed host', 'every8d', 'http://api.e8d.tw/x', /https/],
    ['a host off the list', 'every8d', 'https://evil.example/x', /not on EVERY8D_ALLOWED_HOSTS/],
    ['a look-alike suffix', 'every8d', 'https://note8d.tw/x', /not on/],
    ['a suffix trick', 'twilio', 'https://api.twilio.com.evil.example', /not on/],
    ['cloud metadata', 'twilio', 'http://169.254.169.254/latest', /https/],
    ['loopback in production', 'mitake', 'http://127.0.0.1:8092', /this machine/],
    ['credentials in the URL', 'every8d', 'https://u:p@api.e8d.tw', /credentials/],
    ['not a URL', 'every8d', 'api.e8d.tw', /URL/],
  ])('refuses %s', (_label, provider, url, reason) => expect(providerUrlProblem(provider, url, policy(false))).toMatch(reason));

  it('lets development use the simulators on loopback, over http', () => {
    expect(providerUrlProblem('mitake', 'http://127.0.0.1:8092', policy(true))).toBeUndefined();
    expect(providerUrlProblem('mitake', 'https://evil.example', policy(true))).toMatch(/not on/);
  });

  it('matches wildcard patterns on subdomains only', () => {
    expect(hostAllowed('new.e8d.tw', ['*.e8d.tw'])).toBe(true);
    expect(hostAllowed('e8d.tw', ['*.e8d.tw'])).toBe(false);
  });
});
