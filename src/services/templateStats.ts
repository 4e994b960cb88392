import type { Repositories } from '../db';
import type { RollupRepository } from '../db/rollups';
import { decideWinner, variantStatsFromCells, type VariantStats } from '../domain/abTesting';

/** Per-variant figures of one template, from its rollup: one point read however many messages it sent. */
export async function templateVariantStats(rollups: RollupRepository, code: string): Promise<VariantStats[]> {
  return variantStatsFromCells((await rollups.template(code))?.cells ?? {});
}

/**
 * Applies a template's winner rule: when met, the winner takes 100 % of the weight and the decision is audited.
 * Returns the winner when this call decided it.
 */
export async function applyWinnerRule(repos: Repositories, code: string): Promise<string | undefined> {
  const template = await repos.templates.getByCode(code);
  if (!template?.winner_rule || template.winner || template.variants.length < 2) return undefined;
  const stats = await templateVariantStats(repos.rollups, code);
  const winner = decideWinner(
    stats,
    template.variants.map((v) => v.id),
    template.winner_rule,
  );
  if (!winner) return undefined;
  const updated = await repos.templates.declareWinner(template, winner);
  if (!updated) return undefined; // edited meanwhile: the next message evaluates the new version
  await repos.audit.record({
    actor: 'system',
    action: 'template.winner_declared',
    target: { type: 'template', id: template._id },
    before: { version: template.version, variants: template.variants },
    after: { version: updated.version, variants: updated.variants, winner, stats },
  });
  return winner;
}
