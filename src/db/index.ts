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
import { LookupRetention } from './lookupRetention';
import { LookupReader } from './lookups';
import { MessageAggregates, MessageLists } from './messageAggregates';
import { MessageRepository } from './messages';
import { OptOutRepository } from './optOuts';
import { RollupRepository } from './rollups';
import { ProviderRepository } from './providers';
import { RetentionRepository } from './retention';
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
  rollups: RollupRepository;
  retention: RetentionRepository;
  lookupRetention: LookupRetention;
  earlyReceipts: EarlyReceiptRepository;
  optOuts: OptOutRepository;
}

/**
 * Which kind of process opens the repositories. The worker (also `npm start`'s single process, and offline tools
 * run while no worker runs) owns the rollups; every process that stores messages keeps lookup lists of its own.
 */
export type ProcessRole = 'api' | 'worker';

/** Builds every repository and awaits its indexes, so nothing serves traffic on an unindexed collection. */
export async function createRepositories(db: Db, keys: Pick<Config, 'CREDENTIALS_KEY' | 'CREDENTIALS_PREVIOUS_KEYS'>, role: ProcessRole = 'api'): Promise<Repositories> {
  const repos: Repositories = {
    messages: new MessageRepository(db, { lists: new MessageLists(db, role), aggregates: role === 'worker' ? new MessageAggregates(db) : undefined }),
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
    rollups: new RollupRepository(db),
    retention: new RetentionRepository(db),
    lookupRetention: new LookupRetention(LookupReader.collection(db)),
    earlyReceipts: new EarlyReceiptRepository(db),
    optOuts: new OptOutRepository(db),
  };
  await Promise.all(Object.values(repos).map((r) => r.ensureIndexes()));
  return repos;
}
