import type { MessageType } from './sms';

/**
 * The five default templates, word for word as the integration document lists them ("Message Templates"):
 * codes, names and texts, so the document's own example requests work against a fresh deployment.
 */
export interface DefaultTemplate {
  code: string;
  name: string;
  content: string;
}

export const DEFAULT_TEMPLATES: readonly DefaultTemplate[] = [
  { code: 'order_confirmation', name: '訂單確認', content: '【幸福氣】您的訂單 {order_number} 已確認，預計配送時間：{delivery_time}' },
  { code: 'delivery_on_way', name: '配送中', content: '【幸福氣】您的瓦斯正在配送中，司機 {driver_name} 預計 {eta} 分鐘後到達' },
  { code: 'delivery_arrived', name: '已到達', content: '【幸福氣】配送員已到達您的地址，請準備接收瓦斯' },
  { code: 'delivery_completed', name: '配送完成', content: '【幸福氣】您的訂單 {order_number} 已送達完成，感謝您的訂購！' },
  { code: 'payment_reminder', name: '付款提醒', content: '【幸福氣】提醒您，訂單 {order_number} 尚有 NT${amount} 待付款' },
];

/**
 * The message type a send of a default template gets when the request names none: the document's template
 * example (`delivery_on_way`) carries no `message_type`, and a delivery notice must not be treated as `general`
 * (it keeps its priority queue and is never held by quiet hours or opt-outs).
 */
const DEFAULT_MESSAGE_TYPES: Readonly<Record<string, MessageType>> = {
  order_confirmation: 'order_confirmation',
  delivery_on_way: 'delivery_notification',
  delivery_arrived: 'delivery_notification',
  delivery_completed: 'delivery_notification',
  payment_reminder: 'payment_reminder',
};

export const messageTypeForTemplate = (code: string | undefined): MessageType => (code && DEFAULT_MESSAGE_TYPES[code]) || 'general';

/**
 * Texts earlier releases seeded under the same codes. A stored template still holding exactly one of these (no
 * variants) was never edited by an operator, so start-up may move it to the document's text; anything else is an
 * operator's edit and stays.
 */
export const SUPERSEDED_DEFAULTS: Readonly<Record<string, readonly { name: string; content: string }[]>> = {
  order_confirmation: [{ name: '訂單確認', content: '【幸福氣】{customer_name}您好，您的訂單{order_number}已確認，預計{delivery_date}送達。' }],
  delivery_on_way: [{ name: '司機出發', content: '【幸福氣】司機{driver_name}正在前往您家，預計{eta_minutes}分鐘後抵達。' }],
  delivery_arrived: [{ name: '司機抵達', content: '【幸福氣】司機{driver_name}已抵達，請準備收取瓦斯。' }],
  delivery_completed: [{ name: '配送完成', content: '【幸福氣】訂單{order_number}已送達，感謝您的訂購！' }],
  payment_reminder: [{ name: '付款提醒', content: '【幸福氣】提醒您，訂單{order_number}尚有{amount}元未付款，請於{due_date}前完成付款。' }],
};

/** What an untouched, superseded default should become; undefined when the stored template is not one. */
export function upgradeFor(stored: { code: string; name: string; content: string; variants: readonly unknown[] }): DefaultTemplate | undefined {
  if (stored.variants.length) return undefined;
  const old = SUPERSEDED_DEFAULTS[stored.code]?.find((o) => o.content === stored.content);
  if (!old) return undefined;
  const current = DEFAULT_TEMPLATES.find((t) => t.code === stored.code);
  if (!current) return undefined;
  // The name follows only if the operator left it too.
  return { ...current, name: stored.name === old.name ? current.name : stored.name };
}
