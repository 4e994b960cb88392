import { randomUUID } from 'node:crypto';
import type { Collection, Db } from 'mongodb';
import { isDuplicateKey } from './upsert';
import type { WinnerRule } from '../domain/abTesting';
import type { RollupCell } from '../domain/rollups';
import type { TemplateVariant } from '../domain/templates';
import { ensureIndexes, type IndexPlan } from './indexes';

export interface SmsTemplate {
  _id: string;
  code: string;
  name: string;
  content: string;
  variants: TemplateVariant[];
  is_active: boolean;
  version: number;
  winner_rule?: WinnerRule;
  winner?: { variant: string; decided_at: Date };
  /**
   * The template's rollup cells when its texts last changed: the winner rule counts only what was sent since, so a
   * rewritten variant is tested on its new text, not judged on the old one's figures.
   */
  ab_baseline?: Record<string, RollupCell>;
  created_at: Date;
  updated_at: Date;
}

export type TemplateDraft = Pick<SmsTemplate, 'code' | 'name' | 'content' | 'variants' | 'is_active'> & { winner_rule?: WinnerRule };
/** `winner_rule: null` ends the template's A/B test: the rule is removed. */
export type TemplateChanges = Partial<Omit<TemplateDraft, 'code' | 'winner_rule'>> & { winner_rule?: WinnerRule | null };

export class DuplicateTemplateCode extends Error {}

/** A change to the texts or the variants (a save of them as they are is none): it starts a new A/B round. */
export function textsChange(current: SmsTemplate, changes: TemplateChanges): boolean {
  const variants = (vs: TemplateVariant[]) => JSON.stringify(vs.map((v) => [v.id, v.content, v.weight]));
  return (
    (changes.content !== undefined && changes.content !== current.content) ||
    (changes.variants !== undefined && variants(changes.variants) !== variants(current.variants))
  );
}

/** sms_templates: `code` is unique and never changes; every edit bumps `version`. */
export class TemplateRepository {
  private readonly col: Collection<SmsTemplate>;

  constructor(db: Db) {
    this.col = db.collection<SmsTemplate>('sms_templates');
  }

  async ensureIndexes(plan: IndexPlan): Promise<void> {
    // send-sms looks templates up by code; unique so two templates can never answer to one code
    await ensureIndexes(this.col, plan, [{ key: { code: 1 }, name: 'code_unique', unique: true }]);
  }

  async create(draft: TemplateDraft, now = new Date()): Promise<SmsTemplate> {
    const template: SmsTemplate = { _id: randomUUID(), ...draft, version: 1, created_at: now, updated_at: now };
    try {
      await this.col.insertOne(template);
      return template;
    } catch (err) {
      if (isDuplicateKey(err)) throw new DuplicateTemplateCode(draft.code);
      throw err;
    }
  }

  /** Creates the template unless its code exists; an operator's version always wins. */
  async insertIfAbsent(draft: TemplateDraft, now = new Date()): Promise<boolean> {
    // insert + duplicate-key rather than an upsert with $setOnInsert: FerretDB v1 drops empty arrays there.
    try {
      await this.create(draft, now);
      return true;
    } catch (err) {
      if (err instanceof DuplicateTemplateCode) return false;
      throw err;
    }
  }

  list(filter: { isActive?: boolean }): Promise<SmsTemplate[]> {
    return this.col
      .find(filter.isActive === undefined ? {} : { is_active: filter.isActive })
      .sort({ code: 1 })
      .toArray();
  }

  get(id: string): Promise<SmsTemplate | null> {
    return this.col.findOne({ _id: id });
  }

  getByCode(code: string): Promise<SmsTemplate | null> {
    return this.col.findOne({ code });
  }

  /**
   * Applies changes only to the version the caller read (optimistic concurrency); returns null when someone else
   * changed it first. A content or variant change clears any A/B winner, since it was decided for other texts.
   */
  async update(
    current: SmsTemplate,
    changes: TemplateChanges,
    figuresNow: () => Promise<Record<string, RollupCell>>,
    now = new Date(),
  ): Promise<SmsTemplate | null> {
    const clearsWinner = textsChange(current, changes);
    const baseline = clearsWinner ? { ab_baseline: await figuresNow() } : {};
    const { winner_rule, ...rest } = changes;
    const unset: Partial<Record<'winner' | 'winner_rule', ''>> = {
      ...(clearsWinner && current.winner ? { winner: '' as const } : {}),
      ...(winner_rule === null ? { winner_rule: '' as const } : {}),
    };
    return this.col.findOneAndUpdate(
      { _id: current._id, version: current.version },
      {
        $set: { ...rest, ...(winner_rule ? { winner_rule } : {}), ...baseline, version: current.version + 1, updated_at: now },
        ...(Object.keys(unset).length ? { $unset: unset } : {}),
      },
      { returnDocument: 'after' },
    );
  }

  /** Records an A/B decision: the winner takes all the weight. Guarded by version like any edit. */
  async declareWinner(current: SmsTemplate, variantId: string, now = new Date()): Promise<SmsTemplate | null> {
    const variants = current.variants.map((v) => ({ ...v, weight: v.id === variantId ? 100 : 0 }));
    return this.col.findOneAndUpdate(
      { _id: current._id, version: current.version, winner: { $exists: false } },
      { $set: { variants, winner: { variant: variantId, decided_at: now }, version: current.version + 1, updated_at: now } },
      { returnDocument: 'after' },
    );
  }
}
