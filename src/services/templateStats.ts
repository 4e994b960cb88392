import type { Repositories } from '../db';
import type { RollupRepository } from '../db/rollups';
import type { SmsTemplate } from '../db/templates';
import { cellsSince, decideWinner, variantStatsFromCells, type VariantStats } from '../domain/abTesting';

/**
 * Per-variant figures of one template, from its rollup (one point read however many messages it sent): all of them,
 * and those since its texts last changed, which the winner rule judges.
 */
export async function templateVariantStats(
  rollups: RollupRepository,
  template: Pick<SmsTemplate, 'code' | 'ab_baseline'>,
): Promise<{ all: VariantStats[]; currentRound: VariantStats[] }> {
  const cells = await rollups.templateCells(template.code);
  return { all: variantStatsFromCells(cells), currentRound: variantStatsFromCells(cellsSince(cells, template.ab_baseline)) };
}

/**
 * Applies a template's winner rule: when met, the winner takes 100 % of the weight and the decision is audited.
 * Returns the winner when this call decided it.
 */
export async function applyWinnerRule(repos: Repositories, code: string): Promise<string | undefined> {
  const template = await repos.templates.getByCode(code);
  if (!template?.winner_rule || template.winner || template.variants.length < 2) return undefined;
  // This round only: what was sent since the texts last changed.
  const stats = (await templateVariantStats(repos.rollups, template)).currentRound;
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
