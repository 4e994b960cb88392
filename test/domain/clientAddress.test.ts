import { clientAddress } from '../../src/api/ipAllowlist';

describe('client address for the webhook IP allowlist', () => {
  it('ignores X-Forwarded-For when no proxy is trusted: anyone can send the header', () => {
    expect(clientAddress('203.0.113.9', '198.51.100.1', [])).toBe('203.0.113.9');
  });

  it('ignores X-Forwarded-For from a connection that is not a trusted proxy', () => {
    expect(clientAddress('203.0.113.9', '198.51.100.1', ['10.0.0.0/8'])).toBe('203.0.113.9');
  });

  it('believes a trusted proxy, reading from the right past other trusted hops', () => {
    expect(clientAddress('10.0.0.2', '198.51.100.1', ['10.0.0.0/8'])).toBe('198.51.100.1');
    expect(clientAddress('10.0.0.2', '1.2.3.4, 198.51.100.1, 10.0.0.7', ['10.0.0.0/8'])).toBe('198.51.100.1');
    expect(clientAddress('::ffff:10.0.0.2', '198.51.100.1', ['10.0.0.0/8'])).toBe('198.51.100.1');
  });

  it('keeps the connecting address when a trusted proxy sends no header', () => {
    expect(clientAddress('10.0.0.2', undefined, ['10.0.0.0/8'])).toBe('10.0.0.2');
  });
});
