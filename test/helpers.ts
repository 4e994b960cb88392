import { randomInt } from 'node:crypto';
import { MongoClient, type Db } from 'mongodb';
import { Client, Connection } from '@temporalio/client';
import type { Behaviour, AcceptedSend } from '../src/simulator/state';
import { PROVIDER_NAMES, type ProviderName } from '../src/domain/sms';
import { loadConfig } from '../src/config';
import { dataConverterFor } from '../src/temporal/connect';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the tests through jest (globalSetup starts the stack)`);
  return value;
};

export const apiUrl = () => env('TEST_API_URL');
export const adminToken = () => env('TEST_ADMIN_TOKEN');
const simUrls = () => JSON.parse(env('TEST_SIM_URLS')) as Record<ProviderName, string>;

/**
 * fetch, tried once more when a pooled keep-alive socket turns out to be closed by the server. Test files run one
 * after another in one process; between them a socket can sit idle past the server's keep-alive timeout, and on
 * a loaded machine the client notices only when it writes the next request ("other side closed"). The server
 * never read that request, so sending it again on a fresh socket is safe.
 */
async function fetchReusingSockets(url: string, init?: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    if (cause?.code !== 'UND_ERR_SOCKET' || cause.message !== 'other side closed') throw err;
    return fetch(url, init);
  }
}

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export async function api<T = any>(path: string, init: RequestInit & { token?: string | null } = {}): Promise<ApiResponse<T>> {
  const { token = adminToken(), ...rest } = init;
  const headers = new Headers(rest.headers);
  if (token && !headers.has('authorization')) headers.set('authorization', `Bearer ${token}`);
  if (rest.body && !headers.has('content-type')) headers.set('content-type', 'application/json');
  const response = await fetchReusingSockets(`${apiUrl()}${path}`, { ...rest, headers });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON: keep the text */
  }
  return { status: response.status, headers: response.headers, body: body as T };
}

export const sendSms = (body: unknown, headers: Record<string, string> = {}) =>
  api('/api/v1/notifications/send-sms', { method: 'POST', body: JSON.stringify(body), headers });

/** Changes one provider's settings through the admin API. */
export const putProvider = (name: string, body: Record<string, unknown>) =>
  api(`/api/v1/notifications/providers/${name}`, { method: 'PUT', body: JSON.stringify(body) });

/** Changes provider settings for one test and always puts them back, since every test shares the providers. */
export async function withProviderSettings(name: string, change: Record<string, unknown>, restore: Record<string, unknown>, fn: () => Promise<void>) {
  if ((await putProvider(name, change)).status !== 200) throw new Error(`could not change ${name}'s settings`);
  try {
    await fn();
  } finally {
    await putProvider(name, restore);
  }
}

/** True once the worker runs `provider`'s task queue at `perSecond` (looked for 15 s; workers re-read provider rows every 0.5 s in tests). */
async function workerRateLimit(provider: ProviderName, perSecond: number): Promise<boolean> {
  const running = new RegExp(`luckygas_provider_rate_limit\\{provider="${provider}"\\} ${perSecond}\n`);
  for (let i = 0; i < 60; i++) {
    if (running.test(await (await fetch(env('TEST_WORKER_METRICS_URL'))).text())) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

/**
 * Runs `fn` with Mitake first in every route and limited to one message a second, once the worker runs its queue at
 * that rate (so sends queue behind the limit), and puts both settings back after.
 */
export async function withMitakeAtOnePerSecond(fn: () => Promise<void>): Promise<void> {
  await withProviderSettings('mitake', { rate_limit: 1, priority: 30 }, { rate_limit: 50, priority: 15 }, async () => {
    if (!(await workerRateLimit('mitake', 1))) throw new Error('the worker never ran mitake at 1 message/s');
    await fn();
  });
}

/** A fresh mobile number per test, so simulator behaviour and counts scoped to it never leak between tests. */
export const randomMobile = (): string => `09${String(randomInt(10_000_000, 99_999_999))}`;

export async function setBehaviour(provider: ProviderName, phone: string, behaviour: Partial<Behaviour>): Promise<void> {
  const response = await fetchReusingSockets(`${simUrls()[provider]}/_sim/behaviour`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ phone, ...behaviour }),
  });
  if (!response.ok) throw new Error(`simulator ${provider} refused behaviour: ${await response.text()}`);
}

/** Every text a number received, whichever provider carried it. */
export async function textsTo(phone: string): Promise<string[]> {
  const sends = (await Promise.all(PROVIDER_NAMES.map((p) => simulatorSends(p, { phone })))).flat();
  return sends.map((s) => s.body);
}

export async function simulatorSends(provider: ProviderName, filter: { phone?: string; ref?: string }): Promise<AcceptedSend[]> {
  const query = new URLSearchParams(filter as Record<string, string>).toString();
  const response = await fetchReusingSockets(`${simUrls()[provider]}/_sim/sends?${query}`);
  return ((await response.json()) as { sends: AcceptedSend[] }).sends;
}

const FINAL = ['delivered', 'undelivered', 'failed', 'expired', 'cancelled'];

/** Polls the status endpoint until the message reaches a final state. */
export async function waitForFinal(messageId: string, timeoutMs = 30_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await api(`/api/v1/notifications/sms-status/${messageId}`);
    if (FINAL.includes(body.status)) return body;
    if (Date.now() > deadline) throw new Error(`message ${messageId} still ${body.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** Reads until `done` holds; past `timeoutMs` fails naming `what` and the last value read. */
export async function until<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  what: string,
  { timeoutMs = 30_000, everyMs = 300 }: { timeoutMs?: number; everyMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what} never happened; last: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * A new number only Twilio takes (Every8d and Mitake refuse it), and for which Twilio sends no receipt: a test
 * delivers the receipt itself.
 */
export async function twilioOnlyNumberWithoutReceipt(): Promise<string> {
  const phone = randomMobile();
  await setBehaviour('every8d', phone, { failure: 'error_code', error_code: '-2' });
  await setBehaviour('mitake', phone, { failure: 'error_code', error_code: 'e' });
  await setBehaviour('twilio', phone, { receipt: 'none' });
  return phone;
}

/** Whether the store under test is FerretDB, asked independently of the code under test (which decides in src/db/indexes.ts). */
export const isFerretDb = async (db: Db): Promise<boolean> => 'ferretdbVersion' in (await db.admin().command({ buildInfo: 1 }));

/** Direct MongoDB access for assertions about what was stored. */
export async function withDb<T>(fn: (db: Db) => Promise<T>): Promise<T> {
  const client = await MongoClient.connect(env('TEST_MONGO_URI'));
  try {
    return await fn(client.db(env('TEST_MONGO_DB')));
  } finally {
    await client.close();
  }
}

/** A Temporal client; with `decrypt` (the default) it shares the stack's payload codec, without it sees ciphertext. */
export async function withTemporal<T>(fn: (client: Client) => Promise<T>, { decrypt = true } = {}): Promise<T> {
  const connection = await Connection.connect({ address: env('TEST_TEMPORAL_ADDRESS') });
  try {
    return await fn(new Client({ connection, ...(decrypt ? { dataConverter: dataConverterFor(loadConfig({})) } : {}) }));
  } finally {
    await connection.close();
  }
}

export const simulatorUrl = (provider: ProviderName) => simUrls()[provider];

/** Stored counters that went up and back down read 0 (and a cell the message left is empty); a recount has neither. */
export function withoutZeros(cells: unknown): unknown {
  if (typeof cells !== 'object' || cells === null) return cells;
  const kept = Object.entries(cells)
    .map(([k, v]) => [k, withoutZeros(v)] as const)
    .filter(([, v]) => v !== 0 && !(typeof v === 'object' && v !== null && Object.keys(v).length === 0));
  return Object.fromEntries(kept);
}
