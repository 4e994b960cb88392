import type { Db } from 'mongodb';
import { csv, type Config } from '../config';
import { AlertRepository } from './alerts';
import { ApiKeyRepository } from './apiKeys';
import { AuditRepository } from './audit';
import { BatchRepository } from './batches';
import { CampaignRepository } from './campaigns';
import { SettingsRepository } from './settings';
import { ProviderHealthRepository } from './providerHealth';
import { RateCounterRepository } from './rateCounters';
import { CredentialCipher } from './credentialCipher';
import { EarlyReceiptRepository } from './earlyReceipts';
import { MessageRepository } from './messages';
import { ProviderRepository } from './providers';
import { TemplateRepository } from './templates';
import { WebhookEventRepository } from './webhookEvents';

export interface Repositories {
  messages: MessageRepository;
  providers: ProviderRepository;
  webhookEvents: WebhookEventRepository;
  templates: TemplateRepository;
  audit: AuditRepository;
  apiKeys: ApiKeyRepository;
  rateCounters: RateCounterRepository;
  providerHealth: ProviderHealthRepository;
  batches: BatchRepository;
  settings: SettingsRepository;
  campaigns: CampaignRepository;
  alerts: AlertRepository;
  earlyReceipts: EarlyReceiptRepository;
}

/** Builds every repository and awaits its indexes, so nothing serves traffic on an unindexed collection. */
export async function createRepositories(db: Db, keys: Pick<Config, 'CREDENTIALS_KEY' | 'CREDENTIALS_PREVIOUS_KEYS'>): Promise<Repositories> {
  const repos: Repositories = {
    messages: new MessageRepository(db),
    providers: new ProviderRepository(db, new CredentialCipher(keys.CREDENTIALS_KEY, csv(keys.CREDENTIALS_PREVIOUS_KEYS))),
    webhookEvents: new WebhookEventRepository(db),
    templates: new TemplateRepository(db),
    audit: new AuditRepository(db),
    apiKeys: new ApiKeyRepository(db),
    rateCounters: new RateCounterRepository(db),
    providerHealth: new ProviderHealthRepository(db),
    batches: new BatchRepository(db),
    settings: new SettingsRepository(db),
    campaigns: new CampaignRepository(db),
    alerts: new AlertRepository(db),
    earlyReceipts: new EarlyReceiptRepository(db),
  };
  await Promise.all(Object.values(repos).map((r) => r.ensureIndexes()));
  return repos;
}
