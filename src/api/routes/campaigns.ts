import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import type { AuditRepository } from '../../db/audit';
import { UUID_PATTERN } from '../../domain/idPatterns';
import type { Campaign, CampaignRepository } from '../../db/campaigns';
import { MESSAGE_TYPES } from '../../domain/sms';
import { ApiError } from '../../errors';
import { reportRejections } from '../../services/bulkIntake';
import { CAMPAIGN_TIMEZONE, type CampaignService } from '../../services/campaigns';
import type { AuthEnv } from '../auth';
import { json, openApiHook } from '../openapi';
import { ErrorResponse, IdempotencyHeaders, MessageText, RecipientRows, TemplateCode } from '../schemas';

const errors = { 401: json(ErrorResponse, 'Token'), 403: json(ErrorResponse, 'Admins only'), 422: json(ErrorResponse, 'Invalid input') };
const common = { tags: ['campaigns'], security: [{ bearer: [] }] };

const CreateCampaign = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    cron: z
      .union([z.string(), z.array(z.string()).min(1).max(10)])
      .openapi({ description: `cron expression(s) in ${CAMPAIGN_TIMEZONE}, e.g. "0 10 1 * *" (10:00 on the 1st)` }),
    template_code: TemplateCode.optional(),
    message: MessageText.optional(),
    message_type: z.enum(MESSAGE_TYPES).default('marketing'),
    respect_quiet_hours: z.boolean().default(true),
    recipients: RecipientRows.min(1),
  })
  .refine((b) => !(b.template_code && b.message), { path: ['template_code'], message: 'give either message or template_code, not both' })
  .openapi('CreateCampaign');

const IdParam = z.object({
  campaign_id: z
    .string()
    .regex(UUID_PATTERN, 'must be a campaign id')
    .openapi({ param: { name: 'campaign_id', in: 'path' } }),
});

const AUDIT_ACTIONS = { pause: 'campaign.paused', unpause: 'campaign.unpaused', trigger: 'campaign.triggered' } as const;
/** What the answer calls the runs in progress that an action reached. */
const REACHED_BATCHES = { pause: 'batches_paused', unpause: 'batches_resumed', trigger: undefined } as const;
const SUMMARIES = {
  pause: 'Pause a campaign: its schedule, and its runs in progress (their batches are paused)',
  unpause: "Unpause a campaign: its schedule, and its runs' batches",
  trigger: 'Run a campaign now (409 while it is paused)',
} as const;

/** Every change is an admin action and written to audit_log (README: "every admin action is audited"). */
export function campaignRoutes(deps: { service: CampaignService; campaigns: CampaignRepository; audit: AuditRepository }) {
  const app = new OpenAPIHono<AuthEnv>({ defaultHook: openApiHook });
  const load = async (id: string) => {
    const campaign = await deps.campaigns.get(id);
    if (!campaign) throw new ApiError(404, 'not_found', 'No campaign with this id');
    return campaign;
  };

  app.openapi(
    createRoute({
      ...common,
      method: 'post',
      path: '/',
      summary: 'Create a recurring campaign (a Temporal Schedule in Asia/Taipei)',
      request: { body: { content: { 'application/json': { schema: CreateCampaign } }, required: true }, headers: IdempotencyHeaders },
      responses: {
        201: json(z.record(z.string(), z.unknown()), 'Created (or the campaign stored before, for a repeated Idempotency-Key)'),
        409: json(ErrorResponse, 'Idempotency-Key reused with a different body'),
        ...errors,
      },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const { campaign, rejected, repeated } = await deps.service.create({
        name: body.name,
        cron: Array.isArray(body.cron) ? body.cron : [body.cron],
        messageType: body.message_type,
        templateCode: body.template_code,
        message: body.message,
        respectQuietHours: body.respect_quiet_hours,
        recipients: body.recipients,
        principalId: c.get('principal').id,
        idempotencyKey: c.req.valid('header')['idempotency-key'],
      });
      if (!repeated)
        await deps.audit.record({
          actor: c.get('principal').id,
          action: 'campaign.created',
          target: { type: 'campaign', id: campaign._id },
          after: campaignView(campaign),
        });
      // The campaign is stored and scheduled: a schedule that cannot be read right now only leaves its state out.
      const schedule = await deps.service.describe(campaign).catch(() => ({}));
      return c.json({ ...campaignView(campaign), ...schedule, ...reportRejections(rejected) }, 201);
    },
  );

  app.openapi(
    createRoute({
      ...common,
      method: 'get',
      path: '/',
      summary: 'Campaigns with their schedule state',
      responses: { 200: json(z.object({ campaigns: z.array(z.record(z.string(), z.unknown())) }), 'Campaigns'), ...errors },
    }),
    async (c) => {
      const campaigns = await deps.campaigns.list();
      return c.json(
        { campaigns: await Promise.all(campaigns.map(async (k) => ({ ...campaignView(k), ...(await deps.service.describe(k).catch(() => ({}))) }))) },
        200,
      );
    },
  );

  for (const action of ['pause', 'unpause', 'trigger'] as const) {
    app.openapi(
      createRoute({
        ...common,
        method: 'post',
        path: `/{campaign_id}/${action}`,
        summary: SUMMARIES[action],
        request: { params: IdParam },
        responses: {
          200: json(z.record(z.string(), z.unknown()), 'Done'),
          404: json(ErrorResponse, 'No such campaign'),
          409: json(ErrorResponse, 'Paused (trigger)'),
          ...errors,
        },
      }),
      async (c) => {
        const campaign = await load(c.req.valid('param').campaign_id);
        const { batches } = await deps.service.act(campaign._id, action);
        const reached = REACHED_BATCHES[action] ? { [REACHED_BATCHES[action]]: batches } : {};
        await deps.audit.record({
          actor: c.get('principal').id,
          action: AUDIT_ACTIONS[action],
          target: { type: 'campaign', id: campaign._id },
          ...(batches.length ? { after: reached } : {}),
        });
        return c.json({ ...campaignView(campaign), ...(await deps.service.describe(campaign)), ...reached }, 200);
      },
    );
  }

  app.openapi(
    createRoute({
      ...common,
      method: 'delete',
      path: '/{campaign_id}',
      summary: 'Delete a campaign and its schedule; its runs in progress are cancelled (their batches stay)',
      request: { params: IdParam },
      responses: { 204: { description: 'Deleted' }, 404: json(ErrorResponse, 'No such campaign'), ...errors },
    }),
    async (c) => {
      // A deleted campaign too: a delete that failed half-way (its runs not yet cancelled) is finished by a repeat.
      const campaign = await deps.campaigns.getIncludingDeleted(c.req.valid('param').campaign_id);
      if (!campaign) throw new ApiError(404, 'not_found', 'No campaign with this id');
      const { batches } = await deps.service.act(campaign._id, 'delete');
      await deps.audit.record({
        actor: c.get('principal').id,
        action: 'campaign.deleted',
        target: { type: 'campaign', id: campaign._id },
        before: campaignView(campaign),
        ...(batches.length ? { after: { batches_cancelled: batches } } : {}),
      });
      return c.body(null, 204);
    },
  );

  return app;
}

function campaignView(k: Campaign) {
  return {
    campaign_id: k._id,
    name: k.name,
    cron: k.cron,
    timezone: CAMPAIGN_TIMEZONE,
    message_type: k.message_type,
    template_code: k.template_code ?? null,
    recipients: k.recipients?.length ?? null,
    respect_quiet_hours: k.respect_quiet_hours,
    created_at: k.created_at.toISOString(),
  };
}
