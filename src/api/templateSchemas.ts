import { z } from '@hono/zod-openapi';
import { UUID_PATTERN } from '../domain/idPatterns';
import { CONTROL_CHARS, MAX_MESSAGE_CHARS } from '../domain/sms';
import { templateProblems } from '../domain/templates';
import { TemplateCode } from './schemas';

/** Request and response shapes of the template routes. */
const TemplateContent = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .refine((s) => Array.from(s).length <= MAX_MESSAGE_CHARS, `must be at most ${MAX_MESSAGE_CHARS} characters`)
  .refine((s) => !CONTROL_CHARS.test(s), 'must not contain control characters other than line breaks')
  .superRefine((s, ctx) => {
    for (const problem of templateProblems(s)) ctx.addIssue({ code: 'custom', message: problem });
  })
  .openapi({ example: '【幸福氣】您的瓦斯正在配送中，司機 {driver_name} 預計 {eta} 分鐘後到達' });

const Variant = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, 'must be 1-32 letters, digits, _ or -'),
  content: TemplateContent,
  // 0 switches a variant off, as a declared A/B winner does to the others: a template saves back as it reads.
  weight: z.number().min(0, 'must not be negative').max(10_000),
});

const Variants = z
  .array(Variant)
  .max(10)
  .refine((vs) => new Set(vs.map((v) => v.id)).size === vs.length, 'variant ids must be unique')
  .superRefine((vs, ctx) => {
    if (vs.length === 0 || vs.some((v) => v.weight > 0)) return;
    vs.forEach((_, i) => ctx.addIssue({ code: 'custom', path: [i, 'weight'], message: 'at least one variant needs a positive weight' }));
  });

const WinnerRuleInput = z.strictObject({
  min_sends_per_variant: z.number().int().min(1).max(1_000_000),
  min_delivery_rate_lead: z.number().min(0).max(1),
});

const needsVariants = (body: { variants?: unknown[]; winner_rule?: unknown }, ctx: z.core.$RefinementCtx) => {
  if (body.winner_rule && (body.variants?.length ?? 0) < 2) ctx.addIssue({ code: 'custom', path: ['winner_rule'], message: 'needs at least two variants' });
};

export const CreateTemplateRequest = z
  .strictObject({
    code: TemplateCode,
    name: z.string().trim().min(1).max(100),
    content: TemplateContent,
    is_active: z.boolean().default(true),
    variants: Variants.default([]),
    winner_rule: WinnerRuleInput.optional(),
  })
  .superRefine(needsVariants)
  .openapi('CreateTemplate');

export const UpdateTemplateRequest = z
  .strictObject({
    name: z.string().trim().min(1).max(100).optional(),
    content: TemplateContent.optional(),
    is_active: z.boolean().optional(),
    variants: Variants.optional(),
    winner_rule: WinnerRuleInput.nullable().optional().openapi({ description: '`null` ends the A/B test (as does leaving fewer than two variants)' }),
    version: z.number().int().positive().optional().openapi({ description: 'The version you read; a different current version answers 409' }),
  })
  .refine((b) => Object.keys(b).some((k) => k !== 'version'), 'give at least one field to change')
  .openapi('UpdateTemplate');

export const TemplateIdParam = z.object({
  template_id: z
    .string()
    .regex(UUID_PATTERN, 'must be a template id (UUID)')
    .openapi({ param: { name: 'template_id', in: 'path' } }),
});

export const TemplateListQuery = z.object({
  is_active: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional(),
});

export const TemplateView = z
  .object({
    id: z.string(),
    code: z.string(),
    name: z.string(),
    content: z.string(),
    placeholders: z.array(z.string()),
    variants: z.array(z.object({ id: z.string(), content: z.string(), weight: z.number() })),
    is_active: z.boolean(),
    version: z.number().int(),
    winner_rule: z.object({ min_sends_per_variant: z.number(), min_delivery_rate_lead: z.number() }).nullable(),
    winner: z.object({ variant: z.string(), decided_at: z.string() }).nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('Template');

const VariantFigures = z.object({
  variant: z.string(),
  sent: z.number(),
  delivered: z.number(),
  undelivered: z.number(),
  expired: z.number(),
  failed: z.number(),
  pending: z.number(),
  cancelled: z.number(),
  delivery_rate: z.number(),
  avg_segments: z.number(),
  total_cost: z.number(),
  avg_cost: z.number(),
});

export const TemplateStatsResponse = z
  .object({
    template_id: z.string(),
    code: z.string(),
    winner: z.string().nullable(),
    variants: z.array(VariantFigures).openapi({ description: 'every send of the template' }),
    current_round: z
      .array(VariantFigures)
      .openapi({ description: 'sends since the texts last changed: what the winner rule judges (a rewritten variant starts from zero)' }),
  })
  .openapi('TemplateStats');

/** Create and update answers add what the text costs, so an author sees it before anything is sent. */
export const TemplateChanged = TemplateView.extend({
  analysis: z.object({
    characters: z.number().int().openapi({ description: 'of the longest text (content or variant), placeholders left out' }),
    encoding: z.enum(['GSM-7', 'UCS-2']),
    segments: z.number().int().openapi({ description: 'before placeholder values; each value adds its own characters' }),
    cost_per_message: z.record(z.string(), z.number()).openapi({ description: 'TWD per provider: segments × its price_per_segment' }),
  }),
  warnings: z.array(z.string()),
}).openapi('TemplateChanged');
