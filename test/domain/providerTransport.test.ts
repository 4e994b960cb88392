import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ProviderError, fromHttpStatus, fromTransportError } from '../../src/providers/errors';
import { postForm } from '../../src/providers/http';

/** A local "provider" that answers each request with `handle`; its URL. */
async function provider(handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => handle(req, res)); // the whole request has arrived
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/send`, server };
}

async function failureOf(url: string): Promise<ProviderError> {
  const err = await postForm('every8d', url, { MSG: '測試' }, 2_000).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof ProviderError)) throw new Error(`expected a ProviderError, got ${String(err)}`);
  return err;
}

describe('a provider call that breaks in transport', () => {
  const servers: Server[] = [];
  afterAll(() => Promise.all(servers.map((s) => new Promise((r) => s.close(r)))));

  it('is retried on the same provider only when the request never left (connection refused)', async () => {
    const { url, server } = await provider(() => undefined);
    await new Promise((r) => server.close(r)); // nothing listens there now
    expect(await failureOf(url)).toMatchObject({ code: 'ECONNREFUSED', retryable: true, ambiguous: false });
  });

  it('is ambiguous when the connection breaks after the request arrived: the provider may have sent it', async () => {
    const { url, server } = await provider((req) => req.socket.destroy());
    servers.push(server);
    expect(await failureOf(url)).toMatchObject({ retryable: false, scope: 'provider', ambiguous: true });
  });

  it('is ambiguous when a 200 reply is cut off: the provider took the request', async () => {
    const { url, server } = await provider((_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('999630.00,1,1,0,');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    servers.push(server);
    expect(await failureOf(url)).toMatchObject({ retryable: false, scope: 'provider', ambiguous: true });
  });

  it('reads the Twilio client’s errors the same way', () => {
    expect(fromTransportError('twilio', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toMatchObject({
      retryable: true,
      ambiguous: false,
    });
    expect(fromTransportError('twilio', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))).toMatchObject({
      retryable: false,
      ambiguous: true,
    });
  });

  it('reads a gateway error (502, 504) as ambiguous, and the provider’s own 500 or 503 as safe to retry', () => {
    expect(fromHttpStatus('every8d', 504)).toMatchObject({ code: 'http_504', retryable: false, ambiguous: true });
    expect(fromHttpStatus('twilio', 502)).toMatchObject({ code: 'http_502', retryable: false, ambiguous: true });
    expect(fromHttpStatus('every8d', 500)).toMatchObject({ retryable: true, ambiguous: false });
    expect(fromHttpStatus('mitake', 503)).toMatchObject({ retryable: true, ambiguous: false });
  });
});
