import type { ProviderConfig } from '../db/providers';
import { Every8dProvider } from './every8d';
import { MitakeProvider } from './mitake';
import { TwilioProvider } from './twilio';
import type { ProviderHttpOptions, SmsProvider } from './types';

export function createProvider(config: ProviderConfig, http: ProviderHttpOptions): SmsProvider {
  switch (config._id) {
    case 'twilio':
      return new TwilioProvider(config, http);
    case 'every8d':
      return new Every8dProvider(config, http);
    case 'mitake':
      return new MitakeProvider(config, http);
  }
}

/** Providers whose receipts we must ask for: Every8d pushes only to an account-wide URL, so we also poll. */
export const POLLING_PROVIDERS = ['every8d'] as const;
