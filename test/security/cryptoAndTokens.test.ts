import { spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { resolve } from 'node:path';
import { CredentialCipher } from '../../src/db/credentialCipher';
import { api, withDb } from '../helpers';

const root = resolve(__dirname, '..', '..');
/** The key the test stack runs with (launchStack sets none, so the development default). */
const STACK_KEY = 'dev-only-credentials-key-change-me-0000';
const NEW_KEY = '3dec184d0db5731bd9b21be8b46f55384848c3aa4d031157dec856c3877c050d';

describe('failed authentications are throttled per client address', () => {
  // The test stack trusts loopback as a proxy, so X-Forwarded-For makes each test a client address of its own.
  const from = (address: string, token: string) =>
    api('/api/v1/notifications/sms-status/00000000-0000-4000-8000-000000000000', { token, headers: { 'x-forwarded-for': address } });

  beforeAll(async () => {
    // 21 requests must fall in one fixed minute window
    const intoMinute = Date.now() % 60_000;
    if (intoMinute > 50_000) await new Promise((r) => setTimeout(r, 60_000 - intoMinute + 100));
  });

  it('answers 429 after 20 failures a minute, to every token from that address, and to no other address', async () => {
    const attacker = `203.0.113.${randomInt(1, 254)}`;
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) statuses.push((await from(attacker, `lgk_guess_${i}`)).status);
    expect(statuses).toEqual(Array(20).fill(401));

    const refused = await from(attacker, 'lgk_guess_21');
    expect(refused.status).toBe(429);
    expect(refused.body.error.message).toMatch(/failed authentications from this address: at most 20 per minute/);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    // a correct token from that address gains no answer either: a guess that succeeds looks like one that fails
    expect((await from(attacker, process.env.TEST_ADMIN_TOKEN!)).status).toBe(429);
    // others are unaffected
    expect((await from('198.51.100.7', process.env.TEST_ADMIN_TOKEN!)).status).toBe(404);
  });

  it('never throttles a trusted proxy that forwarded no client address (it speaks for everyone behind it)', async () => {
    const direct = (token: string) => api('/api/v1/notifications/sms-status/00000000-0000-4000-8000-000000000000', { token });
    for (let i = 0; i < 25; i++) expect((await direct(`lgk_guess_${i}`)).status).toBe(401);
    expect((await direct(process.env.TEST_ADMIN_TOKEN!)).status).toBe(404);
  });

  it('does not count authenticated requests that are merely forbidden', async () => {
    const address = `192.0.2.${randomInt(1, 254)}`;
    const created = await api('/api/v1/api-keys', { method: 'POST', body: JSON.stringify({ name: 'throttle viewer', role: 'viewer' }) });
    const viewer = created.body.key as string;
    for (let i = 0; i < 25; i++) expect((await api('/api/v1/audit-log', { token: viewer, headers: { 'x-forwarded-for': address } })).status).toBe(403);
    expect((await from(address, viewer)).status).toBe(404);
  });
});

describe('the payload codec endpoint', () => {
  it('refuses a payload whose GCM tag was cut short with 422', async () => {
    const encoded = await api('/codec/encode', {
      method: 'POST',
      body: JSON.stringify({
        payloads: [{ metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data: Buffer.from('"hi"').toString('base64') }],
      }),
    });
    expect(encoded.status).toBe(200);
    const payload = encoded.body.payloads[0];
    const data = Buffer.from(payload.data, 'base64');
    expect((await api('/codec/decode', { method: 'POST', body: JSON.stringify({ payloads: [payload] }) })).status).toBe(200);
    const shortTag = Buffer.concat([data.subarray(0, 16), data.subarray(28)]).toString('base64');
    const refused = await api('/codec/decode', { method: 'POST', body: JSON.stringify({ payloads: [{ ...payload, data: shortTag }] }) });
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('codec_failed');
  });
});

describe('npm run reencrypt-credentials', () => {
  // A scratch database with a copy of the providers: the running stack keeps its own key and rows.
  const scratch = `reencrypt_${Date.now()}`;
  const run = (env: Record<string, string>) =>
    spawnSync('npm', ['run', '--silent', 'reencrypt-credentials'], {
      cwd: root,
      env: { PATH: process.env.PATH!, HOME: process.env.HOME!, MONGODB_URI: process.env.TEST_MONGO_URI!, MONGODB_DB: scratch, ...env },
      encoding: 'utf8',
    });

  beforeAll(async () => {
    await withDb(async (db) => {
      const rows = await db.collection('sms_providers').find({}).toArray();
      await db.client.db(scratch).collection('sms_providers').insertMany(rows);
    });
  });
  afterAll(() => withDb((db) => db.client.db(scratch).dropDatabase()));

  it('re-encrypts every provider with the new key, so the old key can be retired', async () => {
    const before = await withDb((db) => db.client.db(scratch).collection<any>('sms_providers').find({}).toArray());
    const plain = Object.fromEntries(before.map((row) => [row._id, new CredentialCipher(STACK_KEY).decrypt(row.credentials)]));

    const first = run({ CREDENTIALS_KEY: NEW_KEY, CREDENTIALS_PREVIOUS_KEYS: STACK_KEY });
    expect(first.status).toBe(0);
    expect(first.stdout).toContain(`re-encrypted ${before.length} provider(s)`);
    expect(first.stdout).toContain('CREDENTIALS_PREVIOUS_KEYS may now be emptied');
    expect(first.stdout + first.stderr).not.toMatch(/password|auth_token/i);

    // the new key alone opens every row, with the same credentials
    const after = await withDb((db) => db.client.db(scratch).collection<any>('sms_providers').find({}).toArray());
    const newOnly = new CredentialCipher(NEW_KEY);
    for (const row of after) expect(newOnly.decrypt(row.credentials)).toEqual(plain[row._id]);

    const again = run({ CREDENTIALS_KEY: NEW_KEY });
    expect(again.status).toBe(0);
    expect(again.stdout).toContain(`re-encrypted 0 provider(s); ${before.length} already current`);
  });

  it('exits 1 naming a provider no configured key opens, and changes nothing', async () => {
    const other = 'BvYAElSfWUynlAupbYsL2ABABeLEO+rad/2MT62OPG0=';
    const before = await withDb((db) => db.client.db(scratch).collection<any>('sms_providers').find({}).toArray());
    const result = run({ CREDENTIALS_KEY: other });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/Could not re-encrypt \w+: data was encrypted with key \w+, which is neither/);
    const after = await withDb((db) => db.client.db(scratch).collection<any>('sms_providers').find({}).toArray());
    expect(after.map((r) => r.credentials)).toEqual(before.map((r) => r.credentials));
  });
});
