import { SmsGatewayClient, SmsGatewayError } from '../../src/client';
import { adminToken, apiUrl, randomMobile, simulatorSends, waitForFinal } from '../helpers';

describe('order-system client', () => {
  const client = () => new SmsGatewayClient({ baseUrl: apiUrl(), token: adminToken() });

  it('texts once for an order event however often the order system retries', async () => {
    const phone = randomMobile();
    const order = { order_number: `ORD-${phone}`, customer_name: '陳小姐', phone, driver_name: '王大明', eta: 25 };
    const first = await client().sendOrderNotification(order, 'delivery_on_way');
    const retried = await client().sendOrderNotification(order, 'delivery_on_way');
    expect(first.replayed).toBe(false);
    expect(retried).toMatchObject({ message_id: first.message_id, replayed: true });
    await waitForFinal(first.message_id);
    const sends = await simulatorSends('every8d', { phone });
    expect(sends.map((s) => s.body)).toEqual(['【幸福氣】您的瓦斯正在配送中，司機 王大明 預計 25 分鐘後到達']);

    const arrived = await client().sendOrderNotification(order, 'delivery_arrived');
    expect(arrived.message_id).not.toBe(first.message_id); // another event of the same order is another SMS
  });

  it('reports the gateway error with its field details', async () => {
    const order = { order_number: 'ORD-X', customer_name: '林先生', phone: randomMobile() }; // no amount
    const error = await client()
      .sendOrderNotification(order, 'payment_reminder')
      .catch((e) => e);
    expect(error).toBeInstanceOf(SmsGatewayError);
    expect(error).toMatchObject({ status: 422, code: 'validation_failed' });
    expect(error.details.map((d: { field: string }) => d.field)).toEqual(['template_data.amount']);
  });

  it('reads a message status', async () => {
    const phone = randomMobile();
    const sent = await client().sendOrderNotification(
      { order_number: `ORD-${phone}`, customer_name: '張先生', phone, delivery_time: '今天下午2點' },
      'order_confirmation',
    );
    await waitForFinal(sent.message_id);
    expect(await client().getStatus(sent.message_id)).toMatchObject({ status: 'delivered', message_type: 'order_confirmation' });
  });
});
