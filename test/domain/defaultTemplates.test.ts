import { DEFAULT_TEMPLATES, SUPERSEDED_DEFAULTS, messageTypeForTemplate, upgradeFor } from '../../src/domain/defaultTemplates';
import { placeholdersOf } from '../../src/domain/templates';

describe('default templates', () => {
  it('are the five of the integration document, with its placeholders', () => {
    expect(Object.fromEntries(DEFAULT_TEMPLATES.map((t) => [t.code, placeholdersOf(t.content)]))).toEqual({
      order_confirmation: ['order_number', 'delivery_time'],
      delivery_on_way: ['driver_name', 'eta'],
      delivery_arrived: [],
      delivery_completed: ['order_number'],
      payment_reminder: ['order_number', 'amount'],
    });
    expect(DEFAULT_TEMPLATES.map((t) => t.name)).toEqual(['訂單確認', '配送中', '已到達', '配送完成', '付款提醒']);
    expect(DEFAULT_TEMPLATES.find((t) => t.code === 'delivery_on_way')?.content).toBe('【幸福氣】您的瓦斯正在配送中，司機 {driver_name} 預計 {eta} 分鐘後到達');
  });

  it('upgrade an untouched earlier default to the document text, name included', () => {
    const old = SUPERSEDED_DEFAULTS.delivery_on_way[0];
    expect(upgradeFor({ code: 'delivery_on_way', ...old, variants: [] })).toEqual(DEFAULT_TEMPLATES.find((t) => t.code === 'delivery_on_way'));
  });

  it('keep a renamed name while upgrading the text', () => {
    const old = SUPERSEDED_DEFAULTS.payment_reminder[0];
    expect(upgradeFor({ code: 'payment_reminder', name: '催繳', content: old.content, variants: [] })).toMatchObject({
      name: '催繳',
      content: '【幸福氣】提醒您，訂單 {order_number} 尚有 NT${amount} 待付款',
    });
  });

  it('never touch an edited text, a template with variants, a current default or another code', () => {
    const old = SUPERSEDED_DEFAULTS.delivery_on_way[0];
    expect(upgradeFor({ code: 'delivery_on_way', name: old.name, content: `${old.content} 謝謝`, variants: [] })).toBeUndefined();
    expect(upgradeFor({ code: 'delivery_on_way', ...old, variants: [{ id: 'a' }] })).toBeUndefined();
    for (const t of DEFAULT_TEMPLATES) expect(upgradeFor({ ...t, variants: [] })).toBeUndefined();
    expect(upgradeFor({ code: 'my_template', ...old, variants: [] })).toBeUndefined();
  });
});

describe('message type of a template send without one', () => {
  it("is a default template's own type, else general", () => {
    expect(['delivery_on_way', 'order_confirmation', 'payment_reminder', 'my_promo', undefined].map(messageTypeForTemplate)).toEqual([
      'delivery_notification',
      'order_confirmation',
      'payment_reminder',
      'general',
      'general',
    ]);
  });
});
