import { CONTROL_CHARS } from '../../domain/sms';
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import type { AuditRepository } from '../../db/audit';
import type { SettingsRepository } from '../../db/settings';
import type { ContentPolicyService } from '../../services/contentPolicy';
import type { AuthEnv } from '../auth';
import { json, openApiHook } from '../openapi';
import { ErrorResponse } from '../schemas';

const errors = { 401: json(ErrorResponse, 'Token'), 403: json(ErrorResponse, 'Admins only'), 422: json(ErrorResponse, 'Invalid input') };
const common = { tags: ['settings'], security: [{ bearer: [] }] };

const ContentPolicyBody = z
  .strictObject({
    sender_identity: z
      .string()
      .trim()
      .max(20)
      // Prepended to texts after their own check: it must meet the same rule.
      .refine((s) => !CONTROL_CHARS.test(s), 'must not contain control characters')
      .openapi({
        example: '【幸福氣】',
        description: 'the registered sender identity every text starts with; empty turns the rule off (a deployment that sends no Taiwanese commercial SMS)',
      }),
    missing_identity: z.enum(['prepend', 'reject']).openapi({ description: '`prepend` it (the answer warns) or `reject` a text without it (422)' }),
    link_domains: z
      .array(
        z
          .string()
          .trim()
          .toLowerCase()
          .regex(/^([a-z0-9-]+\.)+[a-z]{2,}$/, 'must be a domain such as luckygas.com.tw'),
      )
      .max(100),
    callback_numbers: z
      .array(
        z
          .string()
          .trim()
          .regex(/^\+?[\d\s-]{7,20}$/, 'must be a phone number'),
      )
      .max(100),
  })
  .openapi('ContentPolicy');

/** Taiwan's commercial-SMS rules as this deployment registered them (sender identity, links, call-back numbers). */
export function contentPolicyRoutes({ policy, settings, audit }: { policy: ContentPolicyService; settings: SettingsRepository; audit: AuditRepository }) {
  const app = new OpenAPIHono<AuthEnv>({ defaultHook: openApiHook });

  app.openapi(
    createRoute({
      ...common,
      method: 'get',
      path: '/',
      summary: 'The content policy in force',
      responses: { 200: json(ContentPolicyBody, 'Policy'), ...errors },
    }),
    async (c) => c.json(await policy.current(), 200),
  );

  app.openapi(
    createRoute({
      ...common,
      method: 'put',
      path: '/',
      summary: 'Change the content policy (admin, audited); applies to the next request',
      request: { body: { content: { 'application/json': { schema: ContentPolicyBody } }, required: true } },
      responses: { 200: json(ContentPolicyBody, 'Policy'), ...errors },
    }),
    async (c) => {
      const before = await policy.current();
      const after = c.req.valid('json');
      await settings.setContentPolicy(after, c.get('principal').id);
      await audit.record({
        actor: c.get('principal').id,
        action: 'settings.content_policy_updated',
        target: { type: 'settings', id: 'content_policy' },
        before,
        after,
      });
      return c.json(after, 200);
    },
  );

  return app;
}
