import { SIMULATOR_CREDENTIALS } from '../../src/simulator';
import {
  api,
  putProvider,
  randomMobile,
  sendSms,
  setBehaviour,
  simulatorSends,
  waitForFinal,
  withDb,
  withMitakeAtOnePerSecond,
  withProviderSettings,
} from '../helpers';

const provider = async (name: string) => (await api('/api/v1/notifications/providers')).body.providers.find((p: any) => p.name === name);
const secrets = Object.values(SIMULATOR_CREDENTIALS).flatMap((c) => Object.values(c));

describe('provider administration', () => {
  it('lists providers without ever returning a credential, and stores only ciphertext', async () => {
    const { body } = await api('/api/v1/notifications/providers');
    expect(body.providers.map((p: any) => p.name)).toEqual(['every8d', 'mitake', 'twilio']);
    expect(body.providers.find((p: any) => p.name === 'twilio').credentials_set).toEqual(['account_sid', 'auth_token']);
    const dump = JSON.stringify(await withDb((db) => db.collection('sms_providers').find({}).toArray()));
    for (const secret of secrets) {
      expect(JSON.stringify(body)).not.toContain(secret);
      expect(dump).not.toContain(secret);
    }
    expect(dump).toContain('"kid"');
  });

  it('answers 404 for an unknown provider and 422 naming a bad config field', async () => {
    expect((await putProvider('nexmo', { priority: 1 })).status).toBe(404);
    const bad = await putProvider('mitake', { config: { api_url: 'ftp://x', password: '' } });
    expect(bad.status).toBe(422);
    expect(bad.body.error.details.map((d: any) => d.field).sort()).toEqual(['config.api_url', 'config.password']);
  });

  it('applies a priority change to the very next message, without a restart, and audits it with secrets redacted', async () => {
    await withProviderSettings('mitake', { priority: 30 }, { priority: 15 }, async () => {
      const { body } = await sendSms({ phone: randomMobile(), message: 'route me' });
      expect((await waitForFinal(body.message_id)).provider).toBe('mitake');
    });
    const { body } = await sendSms({ phone: randomMobile(), message: 'back to normal' });
    expect((await waitForFinal(body.message_id)).provider).toBe('every8d');
    const audit = (await api('/api/v1/audit-log?action=provider.updated&target_id=mitake&limit=2')).body.entries;
    expect(audit[0]).toMatchObject({ actor: 'key_bootstrap_admin', before: { priority: 30, credentials: '[redacted]' }, after: { priority: 15 } });
    expect(JSON.stringify(audit)).not.toContain(SIMULATOR_CREDENTIALS.mitake.password);
  });

  it('re-encrypts changed credentials: a wrong password fails over, the right one works again', async () => {
    await withProviderSettings(
      'every8d',
      { config: { password: 'wrong-password' } },
      { config: { password: SIMULATOR_CREDENTIALS.every8d.password } },
      async () => {
        const { body } = await sendSms({ phone: randomMobile(), message: 'bad credentials' });
        const final = await waitForFinal(body.message_id);
        expect(final).toMatchObject({ provider: 'mitake', attempts: [expect.objectContaining({ provider: 'every8d', error_code: '-2' }), expect.anything()] });
      },
    );
    const { body } = await sendSms({ phone: randomMobile(), message: 'good credentials' });
    expect((await waitForFinal(body.message_id)).provider).toBe('every8d');
  });

  it('skips a provider that reached its daily limit, failing over and auditing the moment it hit the limit', async () => {
    const today = (await provider('every8d')).today.messages;
    await withProviderSettings('every8d', { daily_limit: today + 1 }, { daily_limit: 0 }, async () => {
      const first = await sendSms({ phone: randomMobile(), message: 'last one today' });
      expect((await waitForFinal(first.body.message_id)).provider).toBe('every8d');
      const second = await sendSms({ phone: randomMobile(), message: 'over the limit' });
      const final = await waitForFinal(second.body.message_id);
      expect(final.provider).toBe('mitake');
      expect(final.events[1]).toMatchObject({ type: 'route_planned' });
      const audit = (await api('/api/v1/audit-log?action=provider.daily_limit_reached&target_id=every8d&limit=1')).body.entries;
      expect(audit[0]).toMatchObject({ actor: 'system', after: { messages: today + 1, daily_limit: today + 1 } });
    });
  });

  it('opens the circuit after repeated failures, skips the provider, then probes and closes it after the cool-down', async () => {
    await withProviderSettings(
      'every8d',
      { circuit_failure_threshold: 2, circuit_cooldown_ms: 2_000 },
      { circuit_failure_threshold: 1000, circuit_cooldown_ms: 60_000 },
      async () => {
        for (let i = 0; i < 2; i++) {
          const phone = randomMobile();
          await setBehaviour('every8d', phone, { failure: 'error_code', error_code: '-2' });
          const { body } = await sendSms({ phone, message: 'failing' });
          await waitForFinal(body.message_id);
        }
        expect((await provider('every8d')).circuit).toMatchObject({ state: 'open', consecutive_failures: 2 });
        const healthyPhone = randomMobile();
        const skipped = await waitForFinal((await sendSms({ phone: healthyPhone, message: 'while open' })).body.message_id);
        expect(skipped.provider).toBe('mitake');
        expect(await simulatorSends('every8d', { phone: healthyPhone })).toHaveLength(0);

        await new Promise((r) => setTimeout(r, 2_100));
        const probe = await waitForFinal((await sendSms({ phone: randomMobile(), message: 'probe' })).body.message_id);
        expect(probe.provider).toBe('every8d');
        expect((await provider('every8d')).circuit).toMatchObject({ state: 'closed', consecutive_failures: 0 });
        const actions = (await api('/api/v1/audit-log?target_id=every8d&limit=10')).body.entries.map((e: any) => e.action);
        expect(actions).toEqual(expect.arrayContaining(['provider.circuit_opened', 'provider.circuit_closed']));
      },
    );
  });

  it('applies a changed rate limit to the provider task queue without a restart', async () => {
    await withMitakeAtOnePerSecond(async () => {
      // Started once the worker reports the limit it now runs with.
      const phones = Array.from({ length: 8 }, () => randomMobile());
      const ids = await Promise.all(phones.map(async (phone) => (await sendSms({ phone, message: 'paced' })).body.message_id));
      await Promise.all(ids.map((id) => waitForFinal(id, 60_000)));
      const times = (await Promise.all(phones.map((phone) => simulatorSends('mitake', { phone })))).map(([s]) => Date.parse(s.at)).sort();
      // The server's token buckets (one per task-queue partition, four on the dev server) let a few through at
      // once; after that, 1 message/s. At the usual 50/s all eight would go out within half a second.
      expect(times[7] - times[0]).toBeGreaterThan(2_500);
    });
  });
});
