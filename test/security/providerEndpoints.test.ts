import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SIMULATOR_CREDENTIALS } from '../../src/simulator';
import { api, putProvider, randomMobile, waitForFinal } from '../helpers';

/** A stand-in for a hostile or broken provider endpoint, on this machine (development allows loopback). */
async function fakeEndpoint(handle: (body: string, path: string) => { status: number; headers?: Record<string, string>; body: string }) {
  const hits: string[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      hits.push(req.url ?? '');
      const answer = handle(body, req.url ?? '');
      res.writeHead(answer.status, answer.headers).end(answer.body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits, close: () => new Promise((r) => server.close(r)) };
}

/** Points Mitake at `url` for one test and always puts the simulator back. */
async function withMitakeAt(url: string, fn: () => Promise<void>) {
  const before = (await api('/api/v1/notifications/providers')).body.providers.find((p: any) => p.name === 'mitake').config.api_url;
  expect((await putProvider('mitake', { config: { api_url: url } })).status).toBe(200);
  try {
    await new Promise((r) => setTimeout(r, 700)); // workers re-read provider rows every PROVIDER_REFRESH_MS (500 ms here)
    await fn();
  } finally {
    await putProvider('mitake', { config: { api_url: before } });
  }
}

const testSend = async () =>
  (await api('/api/v1/test/send-test-sms', { method: 'POST', body: JSON.stringify({ phone: randomMobile(), provider: 'mitake' }) })).body.message_id as string;

describe('provider endpoints cannot be turned against the service', () => {
  it.each([
    ['a host off the allowlist', 'https://evil.example/api', /not on MITAKE_ALLOWED_HOSTS/],
    ['plain http to an allowed host', 'http://smsapi.mitake.com.tw', /https/],
    ['cloud metadata', 'http://169.254.169.254/latest/meta-data', /https/],
    ['credentials in the URL', 'https://user:pw@smsapi.mitake.com.tw', /user name or password/],
  ])('refuses %s with 422 naming config.api_url', async (_label, url, reason) => {
    const { status, body } = await putProvider('mitake', { config: { api_url: url } });
    expect(status).toBe(422);
    expect(body.error.details).toEqual([{ field: 'config.api_url', message: expect.stringMatching(reason) }]);
  });

  it('accepts an allowed https host', async () => {
    const before = (await api('/api/v1/notifications/providers')).body.providers.find((p: any) => p.name === 'twilio').config.api_url;
    expect((await putProvider('twilio', { config: { base_url: 'https://api.twilio.com' } })).status).toBe(200);
    await putProvider('twilio', { config: { base_url: before } });
  });

  it('does not follow a redirect with our credentials', async () => {
    const elsewhere = await fakeEndpoint(() => ({ status: 200, body: 'statuscode=1\nmsgid=1' }));
    const redirecting = await fakeEndpoint(() => ({ status: 307, headers: { location: `${elsewhere.url}/stolen` }, body: '' }));
    try {
      await withMitakeAt(redirecting.url, async () => {
        const final = await waitForFinal(await testSend());
        expect(final.status).toBe('failed');
        expect(final.attempts[0].error_code).toBe('http_307');
      });
      expect(redirecting.hits.length).toBeGreaterThan(0);
      expect(elsewhere.hits).toEqual([]);
    } finally {
      await redirecting.close();
      await elsewhere.close();
    }
  });

  it('shows clients provider error text truncated and without the credentials or webhook token it echoed', async () => {
    const echoing = await fakeEndpoint((body) => ({ status: 200, body: `statuscode=e\nError=${decodeURIComponent(body)} ${'x'.repeat(2_000)}` }));
    try {
      await withMitakeAt(echoing.url, async () => {
        const final = await waitForFinal(await testSend());
        const text: string = final.attempts[0].error_message;
        expect(text).toMatch(/^mitake statuscode e: /);
        expect(text).toContain('[redacted]');
        expect(text).not.toContain(SIMULATOR_CREDENTIALS.mitake.password);
        expect(text).not.toContain(process.env.TEST_WEBHOOK_TOKEN!);
        expect(Array.from(text).length).toBeLessThanOrEqual(200);
      });
    } finally {
      await echoing.close();
    }
  });
});
