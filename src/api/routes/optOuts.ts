import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import type { OptOut, OptOutRepository } from '../../db/optOuts';
import { parseTaiwanPhone, type TaiwanPhone } from '../../domain/phone';
import { ApiError } from '../../errors';
import type { OptOutLedger } from '../../services/optOuts';
import type { AuthEnv } from '../auth';
import { json, openApiHook } from '../openapi';
import { ErrorResponse, PhoneInput } from '../schemas';

const errors = { 401: json(ErrorResponse, 'Token'), 403: json(ErrorResponse, 'Admins only'), 422: json(ErrorResponse, 'Invalid input') };
const common = { tags: ['opt-outs'], security: [{ bearer: [] }] };

const OptOutView = z
  .object({
    phone: z.string().openapi({ description: 'masked' }),
    phone_e164: z.string().openapi({ description: 'full number (admins only call these routes)' }),
    source: z.string().openapi({ description: '`admin`, `inbound_reply` (退訂 / TD / STOP / 取消) or `provider` (e.g. Twilio 21610)' }),
    provider: z.string().nullable(),
    reason: z.string().nullable(),
    created_by: z.string(),
    created_at: z.string(),
  })
  .openapi('OptOut');
const PhoneParam = z.object({ phone: PhoneInput.openapi({ param: { name: 'phone', in: 'path' } }) });
const AddOptOut = z.strictObject({ phone: PhoneInput, reason: z.string().trim().min(1).max(200).optional() }).openapi('AddOptOut');
const ListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  after: z.string().max(20).optional().openapi({ description: "the last entry's phone_e164, for the next page" }),
});

/** The suppression ledger for operators (admin): marketing is never sent to a number in it. */
export function optOutRoutes({ ledger, optOuts }: { ledger: OptOutLedger; optOuts: OptOutRepository }) {
  const app = new OpenAPIHono<AuthEnv>({ defaultHook: openApiHook });

  app.openapi(
    createRoute({
      ...common,
      method: 'post',
      path: '/',
      summary: 'Suppress marketing to a number (audited)',
      request: { body: { content: { 'application/json': { schema: AddOptOut } }, required: true } },
      responses: { 201: json(OptOutView, 'Added'), 200: json(OptOutView, 'Already suppressed (unchanged)'), ...errors },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const { added, optOut } = await ledger.add(phoneOf(body.phone), { source: 'admin', actor: c.get('principal').id, reason: body.reason });
      return c.json(view(optOut), added ? 201 : 200);
    },
  );

  app.openapi(
    createRoute({
      ...common,
      method: 'get',
      path: '/',
      summary: 'Suppressed numbers in number order',
      request: { query: ListQuery },
      responses: { 200: json(z.object({ opt_outs: z.array(OptOutView), next_after: z.string().nullable() }), 'A page'), ...errors },
    }),
    async (c) => {
      const { limit, after } = c.req.valid('query');
      const page = await optOuts.list(limit, after);
      return c.json({ opt_outs: page.map(view), next_after: page.length === limit ? page[page.length - 1]._id : null }, 200);
    },
  );

  app.openapi(
    createRoute({
      ...common,
      method: 'get',
      path: '/{phone}',
      summary: 'Is this number suppressed?',
      request: { params: PhoneParam },
      responses: { 200: json(OptOutView, 'Suppressed'), 404: json(ErrorResponse, 'Not suppressed'), ...errors },
    }),
    async (c) => {
      const found = await optOuts.get(phoneOf(c.req.valid('param').phone).e164);
      if (!found) throw new ApiError(404, 'not_found', 'This number is not opted out');
      return c.json(view(found), 200);
    },
  );

  app.openapi(
    createRoute({
      ...common,
      method: 'delete',
      path: '/{phone}',
      summary: 'Allow marketing to a number again (audited)',
      request: { params: PhoneParam },
      responses: { 200: json(OptOutView, 'Removed'), 404: json(ErrorResponse, 'Not suppressed'), ...errors },
    }),
    async (c) => {
      const removed = await ledger.remove(phoneOf(c.req.valid('param').phone), c.get('principal').id);
      if (!removed) throw new ApiError(404, 'not_found', 'This number is not opted out');
      return c.json(view(removed), 200);
    },
  );

  return app;
}

function phoneOf(input: string): TaiwanPhone {
  const parsed = parseTaiwanPhone(input);
  if (!parsed.ok) throw new ApiError(422, 'validation_failed', `phone: ${parsed.reason}`, [{ field: 'phone', message: parsed.reason }]); // schema checked already
  return parsed.phone;
}

function view(o: OptOut) {
  return {
    phone: o.phone_masked,
    phone_e164: o._id,
    source: o.source,
    provider: o.provider ?? null,
    reason: o.reason ?? null,
    created_by: o.created_by,
    created_at: o.created_at.toISOString(),
  };
}
