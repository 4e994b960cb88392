import type { Db } from 'mongodb';
import { csv, type Config } from '../config';
import { AlertRepository } from './alerts';
import { ApiKeyRepository } from './apiKeys';
import { AuditRepository } from './audit';
import { BatchRepository } from './batches';
import { CampaignRepository, CampaignRunRepository } from './campaigns';
import { SettingsRepository } from './settings';
import { ProviderDirectory, ProviderGeneration } from './providerDirectory';
import { ProviderHealthRepository } from './providerHealth';
import { ProviderBalanceRepository } from './providerBalances';
import { PhoneCounterRepository } from './phoneCounters';
import { RateCounterRepository } from './rateCounters';
import { CredentialCipher } from './credentialCipher';
import { EarlyReceiptRepository } from './earlyReceipts';
import { LookupRetention } from './lookupRetention';
import { LookupReader } from './lookups';
import { MessageAggregates, MessageLists } from './messageAggregates';
import { MessageRepository } from './messages';
import { OptOutRepository } from './optOuts';
import { OrderEventRepository } from './orderEvents';
import { RollupRepository } from './rollups';
import { ProviderRepository } from './providers';
import { RetentionRepository } from './retention';
import { TemplateRepository } from './templates';
import { TemporalOutbox } from './temporalOutbox';
import { WebhookEventRepository } from './webhookEvents';
import { CallbackLogRepository } from './callbackLog';
import { indexPlanOf, type IndexPlan } from './indexes';
import { StatusCallbacks } from '../services/statusCallbacks';

export interface Repositories {
  messages: MessageRepository;
  providers: ProviderRepository;
  webhookEvents: WebhookEventRepository;
  templates: TemplateRepository;
  audit: AuditRepository;
  apiKeys: ApiKeyRepository;
  rateCounters: RateCounterRepository;
  phoneCounters: PhoneCounterRepository;
  providerHealth: ProviderHealthRepository;
  batches: BatchRepository;
  settings: SettingsRepository;
  campaigns: CampaignRepository;
  campaignRuns: CampaignRunRepository;
  alerts: AlertRepository;
  rollups: RollupRepository;
  retention: RetentionRepository;
  lookupRetention: LookupRetention;
  earlyReceipts: EarlyReceiptRepository;
  temporalOutbox: TemporalOutbox;
  optOuts: OptOutRepository;
  /** Last known prepaid balance per provider (send replies and the scheduled balance query). */
  balances: ProviderBalanceRepository;
  orderEvents: OrderEventRepository;
  /** Providers, credentials and circuits as the worker's activities read them (reloaded when they change). */
  providerDirectory: ProviderDirectory;
  /** Makes status callbacks of message changes; the worker gives it its Temporal client. */
  statusCallbacks: StatusCallbacks;
  callbackLog: CallbackLogRepository;
}

/**
 * Which kind of process opens the repositories. The worker (also `npm start`'s single process, and offline tools
 * run while no worker runs) owns the rollups; every process that stores messages keeps lookup lists of its own.
 */
export type ProcessRole = 'api' | 'worker';

/** Builds every repository and awaits its indexes, so nothing serves traffic on an unindexed collection. */
export async function createRepositories(
  db: Db,
  keys: Pick<Config, 'CREDENTIALS_KEY' | 'CREDENTIALS_PREVIOUS_KEYS'> & Partial<Pick<Config, 'WRITE_LINGER_MS'>>,
  role: ProcessRole = 'api',
): Promise<Repositories> {
  const generation = new ProviderGeneration(db);
  const cipher = new CredentialCipher(keys.CREDENTIALS_KEY, csv(keys.CREDENTIALS_PREVIOUS_KEYS));
  const providers = new ProviderRepository(db, cipher, generation);
  const providerHealth = new ProviderHealthRepository(db, generation);
  const temporalOutbox = new TemporalOutbox(db);
  const statusCallbacks = new StatusCallbacks(temporalOutbox);
  const plan = await indexPlanOf(db);
  const repos: Omit<Repositories, 'providerDirectory' | 'statusCallbacks'> = {
    messages: new MessageRepository(db, {
      statusListener: statusCallbacks,
      // The store that takes secondary indexes (MongoDB) also answers a filter beyond `_id` without a scan.
      conditionalWrites: plan.secondary,
      // Only the worker lingers: its batch steps share documents; an API request should not wait for company.
      lists: new MessageLists(db, role, role === 'worker' ? keys.WRITE_LINGER_MS : 0),
      aggregates: role === 'worker' ? new MessageAggregates(db, keys.WRITE_LINGER_MS) : undefined,
    }),
    providers,
    webhookEvents: new WebhookEventRepository(db),
    templates: new TemplateRepository(db),
    audit: new AuditRepository(db),
    apiKeys: new ApiKeyRepository(db, cipher),
    rateCounters: new RateCounterRepository(db),
    phoneCounters: new PhoneCounterRepository(db),
    providerHealth,
    batches: new BatchRepository(db),
    settings: new SettingsRepository(db),
    campaigns: new CampaignRepository(db),
    campaignRuns: new CampaignRunRepository(db),
    alerts: new AlertRepository(db),
    rollups: new RollupRepository(db),
    retention: new RetentionRepository(db),
    lookupRetention: new LookupRetention(LookupReader.collection(db)),
    earlyReceipts: new EarlyReceiptRepository(db),
    temporalOutbox,
    callbackLog: new CallbackLogRepository(db),
    optOuts: new OptOutRepository(db),
    balances: new ProviderBalanceRepository(db),
    orderEvents: new OrderEventRepository(db),
  };
  const indexed: { ensureIndexes(plan: IndexPlan): Promise<void> }[] = Object.values(repos);
  await Promise.all(indexed.map((r) => r.ensureIndexes(plan)));
  return { ...repos, statusCallbacks, providerDirectory: new ProviderDirectory(providers, providerHealth, generation) };
}
