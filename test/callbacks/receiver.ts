import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** The raw body, as a receiver must verify it (before parsing). */
  body: string;
  payload: { message_id: string; sequence: number; status: string; previous_status: string; [key: string]: unknown };
  answeredWith: number;
}

/**
 * A status-callback receiver on 127.0.0.1 for the e2e tests. `answer` picks the HTTP status for each request from
 * its path and how many times this (message, sequence) was received before, so a test scripts a flaky receiver.
 */
export async function startReceiver(answer: (path: string, attempt: number) => number = () => 200) {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const payload = JSON.parse(body) as Received['payload'];
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      const attempt = received.filter((r) => r.payload.message_id === payload.message_id && r.payload.sequence === payload.sequence).length + 1;
      const status = answer(path, attempt);
      received.push({ path, headers: req.headers, body, payload, answeredWith: status });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    received,
    of: (messageId: string) => received.filter((r) => r.payload.message_id === messageId),
    /** Waits (polling what arrived, never a fixed sleep) until `done` holds for this message's callbacks. */
    async until(messageId: string, done: (got: Received[]) => boolean, timeoutMs = 30_000): Promise<Received[]> {
      const deadline = Date.now() + timeoutMs;
      while (!done(this.of(messageId))) {
        if (Date.now() > deadline) throw new Error(`callbacks for ${messageId} not as expected: ${JSON.stringify(this.of(messageId).map((r) => r.payload))}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      return this.of(messageId);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
