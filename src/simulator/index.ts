import type { Server } from 'node:http';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { z } from 'zod';
import { every8dSimulator } from './every8d';
import { mitakeSimulator } from './mitake';
import { twilioSimulator } from './twilio';

/** Fixed credentials of the bundled simulators (they guard nothing real; the adapters must still send them). */
import { SIMULATOR_CREDENTIALS } from './credentials';

export { SIMULATOR_CREDENTIALS };

export interface Simulators {
  urls: { twilio: string; every8d: string; mitake: string };
  close(): Promise<void>;
}

/**
 * Starts the three simulators on basePort, +1, +2 (0 = any free ports). Every8d pushes receipts to the gateway's
 * account-wide callback URL, which carries the deployment's webhook token as a real account's would.
 */
export async function startSimulators(
  host: string,
  basePort: number,
  gatewayBaseUrl: string,
  webhookToken: string,
  /** Prepaid points each account starts with (DEFAULT_SIMULATOR_CREDIT when absent). */
  credit: { every8d?: number; mitake?: number } = {},
): Promise<Simulators> {
  const apps = {
    twilio: twilioSimulator({
      accountSid: SIMULATOR_CREDENTIALS.twilio.account_sid,
      authToken: SIMULATOR_CREDENTIALS.twilio.auth_token,
      inboundUrl: `${gatewayBaseUrl}/api/v1/webhooks/sms/twilio/inbound`,
    }).app,
    every8d: every8dSimulator({
      ...SIMULATOR_CREDENTIALS.every8d,
      callbackUrl: `${gatewayBaseUrl}/api/v1/webhooks/sms/every8d?token=${encodeURIComponent(webhookToken)}`,
      credit: credit.every8d,
    }).app,
    mitake: mitakeSimulator({
      ...SIMULATOR_CREDENTIALS.mitake,
      inboundUrl: `${gatewayBaseUrl}/api/v1/webhooks/sms/mitake/inbound?token=${encodeURIComponent(webhookToken)}`,
      credit: credit.mitake,
    }).app,
  };
  const servers: ServerType[] = [];
  const urls = {} as Simulators['urls'];
  for (const [offset, [name, app]] of Object.entries(apps).entries()) {
    const withOutage = new Hono();
    let port = 0;
    withOutage.post('/_sim/outage', async (c) => {
      const parsed = Outage.safeParse(await c.req.json().catch(() => null));
      if (!parsed.success) return c.json({ error: 'body must be {"refuse_ms": 1..600000}' }, 422);
      refuseConnections(servers[offset] as Server, host, port, parsed.data.refuse_ms);
      return c.json({ ok: true });
    });
    withOutage.route('/', app);
    port = await listen(withOutage.fetch, host, basePort === 0 ? 0 : basePort + offset, servers);
    urls[name as keyof typeof apps] = `http://${host}:${port}`;
  }
  return { urls, close: () => Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r())))).then(() => undefined) };
}

const Outage = z.strictObject({ refuse_ms: z.number().int().min(1).max(600_000) });

/**
 * A provider that is down: its port stops listening (connections are refused, open ones closed) for `ms`, then it
 * listens again. Just after the answer to the control call that asked for it, so that answer still gets out.
 */
function refuseConnections(server: Server, host: string, port: number, ms: number): void {
  setTimeout(() => {
    server.close();
    server.closeAllConnections();
    setTimeout(() => server.listen(port, host), ms);
  }, 50);
}

function listen(fetch: (req: Request) => Response | Promise<Response>, hostname: string, port: number, servers: ServerType[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch, hostname, port }, (info) => resolve(info.port));
    server.once('error', reject);
    servers.push(server);
  });
}
