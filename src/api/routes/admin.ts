import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import type { Repositories } from '../../db';
import { ROLES } from '../../domain/roles';
import { MESSAGE_TYPES, type MessageType } from '../../domain/sms';
import { ApiError } from '../../errors';
import type { AuthEnv } from '../auth';
import { json, openApiHook } from '../openapi';
import { ErrorResponse } from '../schemas';
import type { CallbackUrlPolicy } from '../../domain/callbackUrls';
import { MAX_CALLBACK_URL_LENGTH } from '../../domain/callbackUrls';
import { assertCallbackUrl } from '../callbackTarget';

const CreateKeyRequest = z
  .strictObject({
    name: z.string().trim().min(1).max(100),
    role: z.enum(ROLES),
    rate_limit_per_minute: z.number().int().min(1).max(100_000).optional(),
    message_types: z
      .array(z.enum(MESSAGE_TYPES))
      .min(1)
      .refine((types) => new Set(types).size === types.length, 'must not repeat a type')
      .optional()
      .openapi({ description: 'the message types this key may send (e.g. only ["marketing"] for a campaign tool); every type when absent' }),
    callback_url: z
      .string()
      .max(MAX_CALLBACK_URL_LENGTH)
      .optional()
      .openapi({ description: "Default status callback URL for this key's messages (a message's own callback_url wins)" }),
  })
  .openapi('CreateApiKey');

const UpdateKeyRequest = z
  .strictObject({
    callback_url: z.string().max(MAX_CALLBACK_URL_LENGTH).nullable().openapi({ description: 'null removes the default' }),
  })
  .openapi('UpdateApiKey');

const KeyIdParam = z.object({
  id: z
    .string()
    .max(100)
    .openapi({ param: { name: 'id', in: 'path' } }),
});

const KeyView = z
  .object({
    id: z.string(),
    name: z.string(),
    role: z.enum(ROLES),
    rate_limit_per_minute: z.number().nullable(),
    message_types: z.array(z.enum(MESSAGE_TYPES)).nullable(),
    callback_url: z.string().nullable(),
    has_callback_secret: z.boolean(),
    created_by: z.string(),
    created_at: z.string(),
    revoked_at: z.string().nullable(),
  })
  .openapi('ApiKey');

const AuditQuery = z.object({
  action: z.string().max(100).optional(),
  target_type: z.string().max(50).optional(),
  target_id: z.string().max(200).optional(),
  before: z.iso
    .datetime({ message: 'must be an ISO date-time' })
    .optional()
    .openapi({ description: "entries older than this (next page: the last entry's `at`)" }),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

const errors = { 401: json(ErrorResponse, 'Token'), 403: json(ErrorResponse, 'Admins only') };
const common = { security: [{ bearer: [] }] };

const keyView = (k: {
  _id: string;
  name: string;
  role: (typeof ROLES)[number];
  rate_limit_per_minute?: number;
  message_types?: MessageType[];
  callback_url?: string;
  has_callback_secret: boolean;
  created_by: string;
  created_at: Date;
  revoked_at?: Date;
}) => ({
  id: k._id,
  name: k.name,
  role: k.role,
  rate_limit_per_minute: k.rate_limit_per_minute ?? null,
  message_types: k.message_types ?? null,
  callback_url: k.callback_url ?? null,
  has_callback_secret: k.has_callback_secret,
  created_by: k.created_by,
  created_at: k.created_at.toISOString(),
  revoked_at: k.revoked_at?.toISOString() ?? null,
});

/** API keys (created, listed, revoked; secrets shown once) and the audit log. Admin only: no roles declared (api/routeRoles). */
export function adminRoutes({ repos, callbackPolicy }: { repos: Repositories; callbackPolicy: CallbackUrlPolicy }) {
  const app = new OpenAPIHono<AuthEnv>({ defaultHook: openApiHook });

  app.openapi(
    createRoute({
      ...common,
      tags: ['admin'],
      method: 'post',
      path: '/api-keys',
      summary: 'Create an API key (the key and its callback secret are in this response only)',
      request: { body: { content: { 'application/json': { schema: CreateKeyRequest } }, required: true } },
      responses: {
        201: json(KeyView.extend({ key: z.string(), callback_secret: z.string().openapi({ description: 'signs status callbacks (docs/api.md)' }) }), 'Created'),
        422: json(ErrorResponse, 'Invalid input; `details` names each field'),
        ...errors,
      },
    }),
    async (c) => {
      const actor = c.get('principal').id;
      const input = c.req.valid('json');
      if (input.callback_url !== undefined) assertCallbackUrl(input.callback_url, callbackPolicy);
      const { key, token, callbackSecret } = await repos.apiKeys.create({ ...input, created_by: actor });
      await repos.audit.record({ actor, action: 'api_key.created', target: { type: 'api_key', id: key._id }, after: key });
      return c.json({ ...keyView(key), key: token, callback_secret: callbackSecret }, 201);
    },
  );

  app.openapi(
    createRoute({
      ...common,
      tags: ['admin'],
      method: 'patch',
      path: '/api-keys/{id}',
      summary: "Set or remove an API key's default status callback URL",
      request: { params: KeyIdParam, body: { content: { 'application/json': { schema: UpdateKeyRequest } }, required: true } },
      responses: {
        200: json(KeyView, 'Updated'),
        404: json(ErrorResponse, 'Unknown or revoked'),
        422: json(ErrorResponse, 'Invalid input; `details` names each field'),
        ...errors,
      },
    }),
    async (c) => {
      const { callback_url } = c.req.valid('json');
      if (callback_url !== null) assertCallbackUrl(callback_url, callbackPolicy);
      const changed = await repos.apiKeys.setCallbackUrl(c.req.valid('param').id, callback_url);
      if (!changed) throw new ApiError(404, 'not_found', 'No active API key with this id');
      const actor = c.get('principal').id;
      await repos.audit.record({
        actor,
        action: 'api_key.updated',
        target: { type: 'api_key', id: changed.after._id },
        before: changed.before,
        after: changed.after,
      });
      return c.json(keyView(changed.after), 200);
    },
  );

  app.openapi(
    createRoute({
      ...common,
      tags: ['admin'],
      method: 'post',
      path: '/api-keys/{id}/callback-secret',
      summary: 'Make a new callback signing secret for an API key (in this response only; the old one stops signing at once)',
      request: { params: KeyIdParam },
      responses: { 200: json(KeyView.extend({ callback_secret: z.string() }), 'New secret'), 404: json(ErrorResponse, 'Unknown or revoked'), ...errors },
    }),
    async (c) => {
      const rotated = await repos.apiKeys.rotateCallbackSecret(c.req.valid('param').id);
      if (!rotated) throw new ApiError(404, 'not_found', 'No active API key with this id');
      const actor = c.get('principal').id;
      await repos.audit.record({ actor, action: 'api_key.callback_secret_rotated', target: { type: 'api_key', id: rotated.key._id } });
      return c.json({ ...keyView(rotated.key), callback_secret: rotated.callbackSecret }, 200);
    },
  );

  app.openapi(
    createRoute({
      ...common,
      tags: ['admin'],
      method: 'get',
      path: '/api-keys',
      summary: 'API keys (never their secrets)',
      responses: { 200: json(z.object({ api_keys: z.array(KeyView) }), 'Keys'), ...errors },
    }),
    async (c) => c.json({ api_keys: (await repos.apiKeys.list()).map(keyView) }, 200),
  );

  app.openapi(
    createRoute({
      ...common,
      tags: ['admin'],
      method: 'delete',
      path: '/api-keys/{id}',
      summary: 'Revoke an API key',
      request: { params: KeyIdParam },
      responses: { 200: json(KeyView, 'Revoked'), 404: json(ErrorResponse, 'Unknown or already revoked'), ...errors },
    }),
    async (c) => {
      const before = await repos.apiKeys.revoke(c.req.valid('param').id);
      if (!before) throw new ApiError(404, 'not_found', 'No active API key with this id');
      const actor = c.get('principal').id;
      await repos.audit.record({ actor, action: 'api_key.revoked', target: { type: 'api_key', id: before._id }, before });
      return c.json(keyView({ ...before, revoked_at: new Date() }), 200);
    },
  );

  app.openapi(
    createRoute({
      ...common,
      tags: ['admin'],
      method: 'get',
      path: '/audit-log',
      summary: 'Audit log, newest first (append-only)',
      request: { query: AuditQuery },
      responses: { 200: json(z.object({ entries: z.array(z.record(z.string(), z.unknown())), next_before: z.string().nullable() }), 'Entries'), ...errors },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const entries = await repos.audit.list({
        action: q.action,
        targetType: q.target_type,
        targetId: q.target_id,
        before: q.before ? new Date(q.before) : undefined,
        limit: q.limit,
      });
      const last = entries.at(-1);
      return c.json(
        { entries: entries.map((e) => ({ ...e, at: e.at.toISOString() })), next_before: entries.length === q.limit && last ? last.at.toISOString() : null },
        200,
      );
    },
  );

  return app;
}
