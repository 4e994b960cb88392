import { DEFAULT_TEMPLATES, upgradeFor } from '../domain/defaultTemplates';
import type { Repositories } from '.';
import type { Logger } from '../log';

export interface SeedResult {
  created: string[];
  /** Untouched defaults of an earlier release moved to the document's text (a new version each). */
  upgraded: string[];
}

/**
 * Default data every deployment starts with; idempotent, and never overwrites what an operator changed.
 * ADMIN_TOKEN becomes the bootstrap admin API key, so authentication has one path for every token.
 */
export async function seedDefaults(repos: Repositories, adminToken: string, log: Logger): Promise<SeedResult> {
  if ((await repos.apiKeys.upsertBootstrap(adminToken)).revoked)
    log.warn('ADMIN_TOKEN names a revoked key: it authenticates nothing; set a new ADMIN_TOKEN (or use npm run create-api-key) to get an admin key');
  const created: string[] = [];
  const upgraded: string[] = [];
  for (const t of DEFAULT_TEMPLATES) {
    if (await repos.templates.insertIfAbsent({ ...t, variants: [], is_active: true })) {
      created.push(t.code);
      continue;
    }
    if (await upgradeSupersededDefault(repos, t.code)) upgraded.push(t.code);
  }
  if (created.length) await repos.audit.record({ actor: 'system', action: 'template.seeded', target: { type: 'template', id: created.join(',') } });
  return { created, upgraded };
}

/**
 * Moves a template still holding an earlier release's default text to the document's text. The update is
 * guarded by the version read, so an operator's concurrent edit (or a second starting process) wins.
 */
async function upgradeSupersededDefault(repos: Repositories, code: string): Promise<boolean> {
  const stored = await repos.templates.getByCode(code);
  const target = stored && upgradeFor(stored);
  if (!stored || !target) return false;
  const updated = await repos.templates.update(stored, { name: target.name, content: target.content }, () => repos.rollups.templateCells(code));
  if (!updated) return false;
  await repos.audit.record({
    actor: 'system',
    action: 'template.default_upgraded',
    target: { type: 'template', id: stored._id },
    before: { name: stored.name, content: stored.content, version: stored.version },
    after: { name: updated.name, content: updated.content, version: updated.version },
  });
  return true;
}
