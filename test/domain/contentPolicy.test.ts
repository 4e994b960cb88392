import { unregisteredContent, unregisteredProblem, withSenderIdentity } from '../../src/domain/contentPolicy';

const policy = { sender_identity: '【幸福氣】', missing_identity: 'prepend' as const, link_domains: ['luckygas.com.tw'], callback_numbers: ['0800-123-456'] };

describe('sender identity', () => {
  it('prepends it to a text without it, the document example included', () => {
    expect(withSenderIdentity('您的瓦斯訂單已確認', policy)).toEqual({ ok: true, body: '【幸福氣】您的瓦斯訂單已確認', prepended: true });
    expect(withSenderIdentity('【幸福氣】已確認', policy)).toEqual({ ok: true, body: '【幸福氣】已確認', prepended: false });
  });
  it('rejects instead when so set', () => {
    expect(withSenderIdentity('您的瓦斯訂單已確認', { ...policy, missing_identity: 'reject' })).toEqual({
      ok: false,
      problem: 'must start with the registered sender identity 【幸福氣】',
    });
  });
});

describe('registered links and call-back numbers', () => {
  it('accepts registered ones in any format and subdomains', () => {
    expect(unregisteredContent('【幸福氣】優惠 https://shop.luckygas.com.tw/a?b=1 洽 0800123456 或 +886-800-123-456', policy)).toEqual({
      links: [],
      numbers: [],
    });
  });
  it('names unregistered links and numbers', () => {
    expect(unregisteredContent('【幸福氣】優惠 bit.ly/x1 與 http://evil.example.com 洽 02-2345-6789', policy)).toEqual({
      links: ['bit.ly/x1', 'http://evil.example.com'],
      numbers: ['02-2345-6789'],
    });
    expect(unregisteredProblem('詳見 www.other.tw', policy)).toBe('contains unregistered link www.other.tw (register it in settings/content-policy)');
  });
  it('does not mistake amounts, order numbers or masked phones for numbers', () => {
    expect(unregisteredContent('【幸福氣】訂單 ORD-20261125-001 尚有 NT$1280 待付款，0912***678', policy)).toEqual({ links: [], numbers: [] });
  });
});
