import { serve, type ServerType } from '@hono/node-server';
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
    const port = await listen(app.fetch, host, basePort === 0 ? 0 : basePort + offset, servers);
    urls[name as keyof typeof apps] = `http://${host}:${port}`;
  }
  return { urls, close: () => Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r())))).then(() => undefined) };
}

function listen(fetch: (req: Request) => Response | Promise<Response>, hostname: string, port: number, servers: ServerType[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch, hostname, port }, (info) => resolve(info.port));
    server.once('error', reject);
    servers.push(server);
  });
}
