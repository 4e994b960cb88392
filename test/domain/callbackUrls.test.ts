import { callbackUrlProblem, isInternalAddress } from '../../src/domain/callbackUrls';

const production = { development: false };
const development = { development: true };

describe('callback URL rules', () => {
  it('accepts https to a public host in production', () => {
    expect(callbackUrlProblem('https://orders.luckygas.com.tw/sms/status?t=1', production)).toBeUndefined();
    expect(callbackUrlProblem('https://203.0.113.10/hook', production)).toBeUndefined();
  });

  it.each([
    ['plain http', 'http://orders.example.com/hook', /https/],
    ['loopback', 'https://127.0.0.1:9000/hook', /this machine/],
    ['localhost by name', 'http://localhost:9000/hook', /this machine/],
    ['IPv6 loopback', 'https://[::1]/hook', /this machine/],
    ['a private address', 'https://10.1.2.3/hook', /internal/],
    ['cloud metadata', 'https://169.254.169.254/latest/meta-data', /internal/],
    ['carrier-grade NAT', 'https://100.64.0.1/hook', /internal/],
    ['IPv6 unique local', 'https://[fd00::1]/hook', /internal/],
    ['an IPv4-mapped private address', 'https://[::ffff:192.168.1.1]/hook', /internal/],
    ['a single-label name', 'https://intranet/hook', /internal/],
    ['an internal domain', 'https://orders.corp/hook', /internal/],
    ['credentials in the URL', 'https://u:p@orders.example.com/hook', /credentials/],
    ['another scheme', 'ftp://orders.example.com/hook', /https/],
    ['not a URL', 'orders.example.com/hook', /URL/],
    ['an overlong URL', `https://orders.example.com/${'a'.repeat(2_100)}`, /2048/],
  ])('refuses %s in production', (_label, url, reason) => expect(callbackUrlProblem(url, production)).toMatch(reason));

  it('allows http to this machine in development only', () => {
    expect(callbackUrlProblem('http://127.0.0.1:9000/hook', development)).toBeUndefined();
    expect(callbackUrlProblem('http://localhost:9000/hook', development)).toBeUndefined();
    expect(callbackUrlProblem('http://orders.example.com/hook', development)).toMatch(/https/);
  });

  it.each([
    ['10.0.0.1', true],
    ['172.31.255.255', true],
    ['172.32.0.1', false],
    ['192.168.0.1', true],
    ['0.0.0.0', true],
    ['255.255.255.255', true],
    ['8.8.8.8', false],
    ['::ffff:a00:1', true],
    ['64:ff9b::10.0.0.1', true],
    ['fe80::1', true],
    ['2001:4860:4860::8888', false],
  ])('judges %s internal: %s', (address, internal) => expect(isInternalAddress(address)).toBe(internal));
});
