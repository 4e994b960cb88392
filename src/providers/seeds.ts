import type { Config } from '../config';
import type { ProviderSeed } from '../db/providers';

/** Seed-doc defaults: Every8d first (20), then Mitake (15), then Twilio (10); prices in TWD per segment. */
const DEFAULTS = {
  every8d: { priority: 20, price_per_segment: 0.7 },
  mitake: { priority: 15, price_per_segment: 0.75 },
  twilio: { priority: 10, price_per_segment: 2.2 },
};
const COMMON = { is_active: true, rate_limit: 50, daily_limit: 0, daily_budget: 0 };

/** Provider rows for the real accounts given in the environment; a provider without credentials is left out. */
export function providerSeedsFromConfig(config: Config): ProviderSeed[] {
  const seeds: ProviderSeed[] = [];
  if (config.EVERY8D_USERNAME && config.EVERY8D_PASSWORD) {
    seeds.push({
      _id: 'every8d',
      ...COMMON,
      ...DEFAULTS.every8d,
      settings: { api_url: config.EVERY8D_API_URL },
      credentials: { username: config.EVERY8D_USERNAME, password: config.EVERY8D_PASSWORD },
    });
  }
  if (config.MITAKE_USERNAME && config.MITAKE_PASSWORD) {
    seeds.push({
      _id: 'mitake',
      ...COMMON,
      ...DEFAULTS.mitake,
      settings: { api_url: config.MITAKE_API_URL },
      credentials: { username: config.MITAKE_USERNAME, password: config.MITAKE_PASSWORD },
    });
  }
  if (config.TWILIO_ACCOUNT_SID && config.TWILIO_AUTH_TOKEN) {
    seeds.push({
      _id: 'twilio',
      ...COMMON,
      ...DEFAULTS.twilio,
      settings: { api_url: config.TWILIO_API_URL, from_number: config.TWILIO_FROM_NUMBER, messaging_service_sid: config.TWILIO_MESSAGING_SERVICE_SID },
      credentials: { account_sid: config.TWILIO_ACCOUNT_SID, auth_token: config.TWILIO_AUTH_TOKEN },
    });
  }
  return seeds;
}

/** The same rows pointing at the bundled simulators (embedded default), marked so restarts can re-point them. */
export function simulatorSeeds(
  urls: Record<keyof typeof DEFAULTS, string>,
  credentials: Record<keyof typeof DEFAULTS, Record<string, string>>,
): ProviderSeed[] {
  return (['every8d', 'mitake', 'twilio'] as const).map((name) => ({
    _id: name,
    ...COMMON,
    ...DEFAULTS[name],
    settings: { api_url: urls[name], simulated: true, ...(name === 'twilio' ? { from_number: '+15005550006' } : {}) },
    credentials: credentials[name],
  }));
}
