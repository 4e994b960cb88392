import type { Db } from 'mongodb';
import { AuditRepository } from './audit';
import { CredentialCipher } from './credentialCipher';
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
}

/** Builds every repository and awaits its indexes, so nothing serves traffic on an unindexed collection. */
export async function createRepositories(db: Db, credentialsKey: string): Promise<Repositories> {
  const repos: Repositories = {
    messages: new MessageRepository(db),
    providers: new ProviderRepository(db, new CredentialCipher(credentialsKey)),
    webhookEvents: new WebhookEventRepository(db),
    templates: new TemplateRepository(db),
    audit: new AuditRepository(db),
  };
  await Promise.all(Object.values(repos).map((r) => r.ensureIndexes()));
  return repos;
}
