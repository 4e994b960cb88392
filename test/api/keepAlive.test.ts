import { apiUrl, adminToken, randomMobile } from '../helpers';

/**
 * Node's fetch keeps connections alive and reuses them for the next call. An error answered before the request body
 * was read must not leave that body on the connection, or the next call on it fails with a socket error.
 */
describe('keep-alive clients after an early error answer', () => {
  const url = () => `${apiUrl()}/api/v1/notifications/send-sms`;
  const post = (body: string, token: string | null = adminToken()) =>
    fetch(url(), { method: 'POST', body, headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) } });
  const smallRequest = () => JSON.stringify({ phone: randomMobile(), message: 'keep-alive check', message_type: 'test' });

  it('closes the connection after a 413 sent before the body was read, so the next call on the pool works', async () => {
    const oversized = JSON.stringify({ phone: randomMobile(), message: 'x'.repeat(300_000) });
    for (let round = 0; round < 5; round++) {
      const tooLarge = await post(oversized);
      expect(tooLarge.status).toBe(413);
      expect(tooLarge.headers.get('connection')).toBe('close');
      await tooLarge.text();
      const next = await post(smallRequest());
      expect(next.status).toBe(202);
      await next.text();
    }
  });

  it('closes the connection after a 401 that ignored the body, and keeps it open after a success', async () => {
    for (let round = 0; round < 5; round++) {
      const refused = await post(JSON.stringify({ phone: randomMobile(), message: 'y'.repeat(60_000) }), null);
      expect(refused.status).toBe(401);
      expect(refused.headers.get('connection')).toBe('close');
      await refused.text();
      const next = await post(smallRequest());
      expect(next.status).toBe(202);
      expect(next.headers.get('connection')).not.toBe('close');
      await next.text();
    }
  });
});
