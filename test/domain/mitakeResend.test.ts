import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ProviderConfig } from '../../src/db/providers';
import { parseTaiwanPhone, type TaiwanPhone } from '../../src/domain/phone';
import { MitakeProvider } from '../../src/providers/mitake';

/**
 * A local Mitake that deduplicates by clientid, as the real one does, and breaks the first `broken` calls' connections
 * after taking them (the message was sent, the answer lost).
 */
async function mitake(broken: number): Promise<{ url: string; server: Server; sent: string[]; calls: () => number }> {
  const sent: string[] = [];
  const msgids = new Map<string, string>();
  let calls = 0;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      calls += 1;
      const clientid = new URLSearchParams(body).get('clientid') ?? '';
      const earlier = msgids.get(clientid);
      if (!earlier) {
        msgids.set(clientid, String(1000 + sent.length));
        sent.push(clientid);
      }
      if (calls <= broken) return void req.socket.destroy();
      const msgid = msgids.get(clientid);
      res.end(`[${clientid}]\r\nmsgid=#${msgid}\r\nstatuscode=1\r\n${earlier ? 'Duplicate=Y' : 'AccountPoint=99'}\r\n`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, sent, calls: () => calls };
}

const phone = (parseTaiwanPhone('0912345678') as { ok: true; phone: TaiwanPhone }).phone;
const adapter = (url: string) =>
  new MitakeProvider({ credentials: { username: 'u', password: 'p' }, settings: { api_url: url } } as unknown as ProviderConfig, { timeoutMs: 2_000 });
const sms = { messageId: 'msg-ambiguous-1', phone, body: '【幸福氣】測試', receiptUrl: 'https://example.com/r' };

describe('a Mitake call that ends ambiguously', () => {
  const servers: Server[] = [];
  afterAll(() => Promise.all(servers.map((s) => new Promise((r) => s.close(r)))));

  it('is asked again with the same clientid: the first send is found, and the customer is texted once', async () => {
    const m = await mitake(1);
    servers.push(m.server);
    await expect(adapter(m.url).send(sms)).resolves.toMatchObject({ providerMessageId: '1000', duplicate: true });
    expect({ calls: m.calls(), sent: m.sent }).toEqual({ calls: 2, sent: [sms.messageId] });
  });

  it('stays ambiguous when the second ask breaks too (the workflow then fails over and flags it)', async () => {
    const m = await mitake(2);
    servers.push(m.server);
    await expect(adapter(m.url).send(sms)).rejects.toMatchObject({ provider: 'mitake', ambiguous: true, retryable: false });
    expect({ calls: m.calls(), sent: m.sent }).toEqual({ calls: 2, sent: [sms.messageId] });
  });

  it('is not asked again when the failure was not ambiguous', async () => {
    const m = await mitake(0);
    await new Promise((r) => m.server.close(r)); // nothing listens: the request never left
    await expect(adapter(m.url).send(sms)).rejects.toMatchObject({ code: 'ECONNREFUSED', retryable: true, ambiguous: false });
  });
});
