import { blockedByOptOut, isOptOutReply } from '../../src/domain/optOut';

describe('opt-out replies', () => {
  it.each(['退訂', '我要退訂，謝謝', '取消', 'TD', 'td', 'STOP', 'Stop please', 'ＳＴＯＰ', '好 TD'])('%j opts out', (text) =>
    expect(isOptOutReply(text)).toBe(true),
  );
  it.each(['好的', '謝謝', 'STD', 'STOPPED', 'tdx', 'OK', ''])('%j does not', (text) => expect(isOptOutReply(text)).toBe(false));
  it('withholds marketing only', () => {
    expect(blockedByOptOut('marketing')).toBe(true);
    for (const type of ['order_confirmation', 'delivery_notification', 'payment_reminder', 'general', 'test']) expect(blockedByOptOut(type)).toBe(false);
  });
});
