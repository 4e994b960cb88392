import { DEFAULT_TEMPLATES } from '../domain/templates';
import type { Repositories } from '.';

/**
 * Default data every deployment starts with; idempotent, and never overwrites what an operator changed.
 * ADMIN_TOKEN becomes the bootstrap admin API key, so authentication has one path for every token.
 */
export async function seedDefaults(repos: Repositories, adminToken: string): Promise<string[]> {
  await repos.apiKeys.upsertBootstrap(adminToken);
  const created: string[] = [];
  for (const t of DEFAULT_TEMPLATES) {
    if (await repos.templates.insertIfAbsent({ ...t, variants: [], is_active: true })) created.push(t.code);
  }
  if (created.length) await repos.audit.record({ actor: 'system', action: 'template.seeded', target: { type: 'template', id: created.join(',') } });
  return created;
}
