import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import type { Repositories } from '../../db';
import { DuplicateTemplateCode, type SmsTemplate } from '../../db/templates';
import { placeholdersOf } from '../../domain/templates';
import { ApiError } from '../../errors';
import { templateVariantStats } from '../../services/templateStats';
import type { AuthEnv } from '../auth';
import { json, openApiHook } from '../openapi';
import { callableBy } from '../routeRoles';
import { ErrorResponse } from '../schemas';
import {
  CreateTemplateRequest,
  TemplateChanged,
  TemplateIdParam,
  TemplateListQuery,
  TemplateStatsResponse,
  TemplateView,
  UpdateTemplateRequest,
} from '../templateSchemas';
import { ContentPolicyService } from '../../services/contentPolicy';
import { countSegments } from '../../domain/segments';

const errors = { 401: json(ErrorResponse, 'Missing or invalid bearer token'), 422: json(ErrorResponse, 'Invalid input; `details` names each field') };
const notFound = { 404: json(ErrorResponse, 'No such template') };
const common = { tags: ['templates'], security: [{ bearer: [] }] };

const routes = {
  create: createRoute({
    ...common,
    method: 'post',
    path: '/',
    summary: 'Create a template',
    request: { body: { content: { 'application/json': { schema: CreateTemplateRequest } }, required: true } },
    responses: { 201: json(TemplateChanged, 'Created'), 409: json(ErrorResponse, 'Code already used'), ...errors },
  }),
  list: createRoute({
    ...common,
    method: 'get',
    path: '/',
    ...callableBy('sender'),
    summary: 'List templates',
    request: { query: TemplateListQuery },
    responses: { 200: json(z.object({ templates: z.array(TemplateView) }), 'Templates by code'), ...errors },
  }),
  get: createRoute({
    ...common,
    method: 'get',
    path: '/{template_id}',
    ...callableBy('sender'),
    summary: 'One template',
    request: { params: TemplateIdParam },
    responses: { 200: json(TemplateView, 'The template'), ...notFound, ...errors },
  }),
  update: createRoute({
    ...common,
    method: 'put',
    path: '/{template_id}',
    summary: 'Change a template (bumps its version; deactivate instead of deleting)',
    request: { params: TemplateIdParam, body: { content: { 'application/json': { schema: UpdateTemplateRequest } }, required: true } },
    responses: { 200: json(TemplateChanged, 'Updated'), 409: json(ErrorResponse, 'Changed by someone else; re-read and retry'), ...notFound, ...errors },
  }),
  stats: createRoute({
    ...common,
    method: 'get',
    path: '/{template_id}/stats',
    ...callableBy('sender', 'viewer'),
    summary: 'A/B figures per variant',
    request: { params: TemplateIdParam },
    responses: { 200: json(TemplateStatsResponse, 'Per-variant figures'), ...notFound, ...errors },
  }),
};

export function templateRoutes({ repos, policy }: { repos: Repositories; policy: ContentPolicyService }) {
  const app = new OpenAPIHono<AuthEnv>({ defaultHook: openApiHook });
  const load = async (id: string) => {
    const template = await repos.templates.get(id);
    if (!template) throw new ApiError(404, 'not_found', 'No template with this id');
    return template;
  };

  /**
   * Every text of a template must carry the sender identity (a template is never silently changed) and name only
   * registered links and call-back numbers, whatever message type it is later sent as.
   */
  const checkTexts = async (texts: { field: string; content: string }[]) => {
    const current = await policy.current();
    const details = texts.flatMap(({ field, content }) => {
      const result = ContentPolicyService.check(content, true, { ...current, missing_identity: 'reject' });
      return result.ok ? [] : [{ field, message: result.problem }];
    });
    if (details.length) throw new ApiError(422, 'content_policy', details.map((d) => `${d.field}: ${d.message}`).join('; '), details);
  };
  const textsOf = (t: { content?: string; variants?: { content: string }[] }) => [
    ...(t.content === undefined ? [] : [{ field: 'content', content: t.content }]),
    ...(t.variants ?? []).map((v, i) => ({ field: `variants.${i}.content`, content: v.content })),
  ];
  const changedView = async (t: SmsTemplate) => {
    const analysis = await analyse(t, await repos.providers.list());
    const warnings =
      analysis.segments > 1
        ? [`the text is ${analysis.segments} segments (${analysis.encoding}) before placeholder values; keep Chinese texts within 70 characters to pay for one`]
        : [];
    return { ...templateView(t), analysis, warnings };
  };

  app.openapi(routes.create, async (c) => {
    const draft = c.req.valid('json');
    await checkTexts(textsOf(draft));
    try {
      const template = await repos.templates.create(draft);
      await repos.audit.record({ actor: c.get('principal').id, action: 'template.created', target: { type: 'template', id: template._id }, after: template });
      return c.json(await changedView(template), 201);
    } catch (err) {
      if (err instanceof DuplicateTemplateCode)
        throw new ApiError(409, 'duplicate_code', `A template with code "${draft.code}" already exists`, [{ field: 'code', message: 'already used' }]);
      throw err;
    }
  });

  app.openapi(routes.list, async (c) => {
    const { is_active } = c.req.valid('query');
    const templates = await repos.templates.list({ isActive: is_active });
    return c.json({ templates: templates.map(templateView) }, 200);
  });

  app.openapi(routes.get, async (c) => c.json(templateView(await load(c.req.valid('param').template_id)), 200));

  app.openapi(routes.update, async (c) => {
    const current = await load(c.req.valid('param').template_id);
    const { version, ...changes } = c.req.valid('json');
    await checkTexts(textsOf(changes));
    if (version !== undefined && version !== current.version)
      throw new ApiError(409, 'version_conflict', `The template is at version ${current.version}, not ${version}`);
    if (changes.winner_rule && (changes.variants ?? current.variants).length < 2) {
      throw new ApiError(422, 'validation_failed', 'winner_rule: needs at least two variants', [
        { field: 'winner_rule', message: 'needs at least two variants' },
      ]);
    }
    // Fewer than two variants leave nothing to compare: the A/B test ends with them, rule and all.
    const endsTest = changes.variants !== undefined && changes.variants.length < 2 && current.winner_rule && changes.winner_rule === undefined;
    const updated = await repos.templates.update(current, endsTest ? { ...changes, winner_rule: null } : changes, () =>
      repos.rollups.templateCells(current.code),
    );
    if (!updated) throw new ApiError(409, 'version_conflict', 'The template changed while this update was applied; re-read and retry');
    await repos.audit.record({
      actor: c.get('principal').id,
      action: 'template.updated',
      target: { type: 'template', id: current._id },
      before: current,
      after: updated,
    });
    return c.json(await changedView(updated), 200);
  });

  app.openapi(routes.stats, async (c) => {
    const template = await load(c.req.valid('param').template_id);
    const { all, currentRound } = await templateVariantStats(repos.rollups, template);
    return c.json(
      { template_id: template._id, code: template.code, winner: template.winner?.variant ?? null, variants: all, current_round: currentRound },
      200,
    );
  });

  return app;
}

/** Segments and cost of the longest text, placeholders left out: the floor a message of this template costs. */
async function analyse(t: SmsTemplate, providers: { _id: string; price_per_segment: number }[]) {
  const texts = [t.content, ...t.variants.map((v) => v.content)].map((text) => text.replace(/\{[A-Za-z_][A-Za-z0-9_]*\}/g, ''));
  const counted = texts
    .map((text) => ({ ...countSegments(text), characters: Array.from(text).length }))
    .sort((a, b) => b.segments - a.segments || b.characters - a.characters)[0];
  const costPerMessage = Object.fromEntries(providers.map((p) => [p._id, Math.round(counted.segments * p.price_per_segment * 100) / 100]));
  return { characters: counted.characters, encoding: counted.encoding, segments: counted.segments, cost_per_message: costPerMessage };
}

function templateView(t: SmsTemplate) {
  return {
    id: t._id,
    code: t.code,
    name: t.name,
    content: t.content,
    placeholders: placeholdersOf([t.content, ...t.variants.map((v) => v.content)].join(' ')),
    variants: t.variants,
    is_active: t.is_active,
    version: t.version,
    winner_rule: t.winner_rule ?? null,
    winner: t.winner ? { variant: t.winner.variant, decided_at: t.winner.decided_at.toISOString() } : null,
    created_at: t.created_at.toISOString(),
    updated_at: t.updated_at.toISOString(),
  };
}
