import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ProviderConfig } from '../../src/db/providers';
import { parseTaiwanPhone, type TaiwanPhone } from '../../src/domain/phone';
import { TwilioProvider } from '../../src/providers/twilio';

const ACCOUNT = 'AC00000000000000000000000000000001';
const FROM = '+15005550006';

interface Created {
  sid: string;
  to: string;
  from: string;
  body: string;
  created: Date;
}

/**
 * A local Twilio: creates each message it is asked to, then answers as `answer` says (a broken connection after
 * creating, or its own 500 without creating), and lists an account's messages to a number, newest first.
 */
async function twilioFake(answer: (call: number) => 'invalid_number' | 'break_after_create' | 'internal_error', earlier: Omit<Created, 'sid'>[] = []) {
  const created: Created[] = earlier.map((m, i) => ({ ...m, sid: `SMearlier${i}` }));
  const calls = { create: 0, list: 0 };
  const view = (m: Created) => ({
    sid: m.sid,
    account_sid: ACCOUNT,
    to: m.to,
    from: m.from,
    body: m.body,
    direction: 'outbound-api',
    status: 'queued',
    date_created: m.created.toUTCString(),
    date_updated: m.created.toUTCString(),
    date_sent: null,
    messaging_service_sid: null,
  });
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method === 'GET') {
      calls.list += 1;
      const to = url.searchParams.get('To');
      const messages = created.filter((m) => m.to === to).reverse();
      res.setHeader('content-type', 'application/json');
      return void res.end(JSON.stringify({ messages: messages.map(view), next_page_uri: null, page: 0, page_size: 20, uri: url.pathname }));
    }
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      calls.create += 1;
      const form = new URLSearchParams(body);
      const how = answer(calls.create);
      res.setHeader('content-type', 'application/json');
      if (how === 'internal_error') {
        res.statusCode = 500;
        return void res.end(JSON.stringify({ code: 20500, message: 'Internal Server Error', status: 500 }));
      }
      if (how === 'invalid_number') {
        res.statusCode = 400;
        return void res.end(JSON.stringify({ code: 21211, message: "The 'To' number is not a valid phone number.", status: 400 }));
      }
      const message = { sid: `SM${calls.create}`, to: form.get('To')!, from: form.get('From')!, body: form.get('Body')!, created: new Date() };
      created.push(message);
      if (how === 'break_after_create') return void req.socket.destroy();
      res.statusCode = 201;
      res.end(JSON.stringify(view(message)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, created, calls };
}

const phone = (parseTaiwanPhone('0912345678') as { ok: true; phone: TaiwanPhone }).phone;
const adapter = (url: string) =>
  new TwilioProvider(
    { credentials: { account_sid: ACCOUNT, auth_token: 'token' }, settings: { api_url: url, from_number: FROM } } as unknown as ProviderConfig,
    { timeoutMs: 2_000 },
  );
const sms = { messageId: 'msg-twilio-1', phone, body: '【幸福氣】您的瓦斯正在配送中', receiptUrl: 'https://example.com/r' };

describe('a Twilio call that ends without a clear answer', () => {
  const servers: Server[] = [];
  afterAll(() => Promise.all(servers.map((s) => new Promise((r) => s.close(r)))));
  const fake = async (...args: Parameters<typeof twilioFake>) => {
    const f = await twilioFake(...args);
    servers.push(f.server);
    return f;
  };

  it("is settled from Twilio's records when Twilio created the message: accepted, and the customer is texted once", async () => {
    const t = await fake(() => 'break_after_create');
    await expect(adapter(t.url).send(sms)).resolves.toEqual({ providerMessageId: 'SM1', foundAfter: 'ECONNRESET' });
    expect([t.calls, t.created.length]).toEqual([{ create: 1, list: 1 }, 1]);
  });

  it('keeps its failure when Twilio has no such message (its 500 is then retried as before)', async () => {
    const t = await fake(() => 'internal_error');
    await expect(adapter(t.url).send(sms)).rejects.toMatchObject({ provider: 'twilio', code: '20500', retryable: true, ambiguous: false });
    expect([t.calls, t.created.length]).toEqual([{ create: 1, list: 1 }, 0]);
  });

  it("does not take an older text, another sender's, or one of two matches for this send", async () => {
    const old = { to: phone.e164, from: FROM, body: sms.body, created: new Date(Date.now() - 10 * 60_000) };
    const otherSender = { to: phone.e164, from: '+15005550009', body: sms.body, created: new Date() };
    const t = await fake(() => 'break_after_create', [old, otherSender]);
    await expect(adapter(t.url).send(sms)).resolves.toMatchObject({ providerMessageId: 'SM1' });
    // The same text sent to the number just before this call: two candidates, so the failure stands (flagged).
    const twice = await fake(() => 'break_after_create', [{ ...old, created: new Date() }]);
    await expect(adapter(twice.url).send(sms)).rejects.toMatchObject({ provider: 'twilio', ambiguous: true });
  });

  it('is not looked up after a clear answer', async () => {
    const t = await fake(() => 'invalid_number');
    await expect(adapter(t.url).send(sms)).rejects.toMatchObject({ provider: 'twilio', code: '21211', scope: 'message', ambiguous: false });
    expect(t.calls).toEqual({ create: 1, list: 0 });
  });
});
