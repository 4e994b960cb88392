import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import type { Repositories } from '../../db';
import type { ProviderChange, ProviderRow } from '../../db/providers';
import { endpointBase } from '../../domain/providerEndpoints';
import { providerUrlProblem, type ProviderUrlPolicy } from '../../domain/providerUrls';
import { startOfTaipeiDay } from '../../domain/taipeiTime';
import { balanceReports, balanceView } from '../../services/balanceReport';
import { PROVIDER_NAMES, type ProviderName } from '../../domain/sms';
import { ApiError } from '../../errors';
import type { AuthEnv } from '../auth';
import { validationError } from '../errors';
import { openApiHook } from '../openapi';
import { ErrorResponse } from '../schemas';

/** A base URL or a full endpoint URL of that provider, stored as the base its adapter builds calls on. */
const endpoint = (provider: ProviderName) =>
  z
    .string()
    .max(500)
    .transform((value, ctx) => {
      const result = endpointBase(provider, value);
      if (result.ok) return result.base;
      ctx.addIssue({ code: 'custom', message: result.reason });
      return z.NEVER;
    });
/** Per-provider `config`: credentials and endpoint, validated by provider; fields may be given one at a time. */
const CONFIG_SCHEMAS = {
  twilio: z.strictObject({
    account_sid: z
      .string()
      .regex(/^AC[0-9a-zA-Z]{32}$/, 'must be AC followed by 32 characters')
      .optional(),
    auth_token: z.string().min(16).max(128).optional(),
    from_number: z
      .string()
      .regex(/^\+\d{6,15}$/, 'must be an E.164 number')
      .optional(),
    messaging_service_sid: z
      .string()
      .regex(/^MG[0-9a-zA-Z]{32}$/, 'must be MG followed by 32 characters')
      .optional(),
    base_url: endpoint('twilio').optional(),
  }),
  every8d: z.strictObject({
    username: z.string().min(1).max(100).optional(),
    password: z.string().min(1).max(200).optional(),
    api_url: endpoint('every8d').optional(),
  }),
  mitake: z.strictObject({
    username: z.string().min(1).max(100).optional(),
    password: z.string().min(1).max(200).optional(),
    api_url: endpoint('mitake').optional(),
  }),
} satisfies Record<ProviderName, z.ZodType>;
const SECRET_FIELDS = new Set(['auth_token', 'password', 'account_sid', 'username']);
/** What a provider needs before it can be created at all. */
const REQUIRED_ON_CREATE: Record<ProviderName, string[]> = {
  twilio: ['account_sid', 'auth_token'],
  every8d: ['username', 'password', 'api_url'],
  mitake: ['username', 'password', 'api_url'],
};

const providerFields = {
  provider: z.enum(PROVIDER_NAMES).optional().openapi({ description: "the integration document's shape: names the provider (on PUT it must match the path)" }),
  config: z.record(z.string(), z.unknown()).optional(),
  is_active: z.boolean().optional(),
  priority: z.number().int().min(0).max(1000).optional(),
  rate_limit: z.number().positive().max(1000).optional().openapi({ description: 'messages per second, enforced by Temporal on the provider task queue' }),
  price_per_segment: z.number().min(0).max(100).optional().openapi({ description: 'TWD' }),
  daily_limit: z.number().int().min(0).optional().openapi({ description: 'messages per Asia/Taipei day, 0 = unlimited' }),
  daily_budget: z.number().min(0).optional().openapi({ description: 'TWD per Asia/Taipei day, 0 = unlimited' }),
  circuit_failure_threshold: z.number().int().min(1).max(1000).optional().openapi({ description: 'consecutive provider-level failures that open the circuit' }),
  circuit_cooldown_ms: z
    .number()
    .int()
    .min(1000)
    .max(86_400_000)
    .optional()
    .openapi({ description: 'how long an open circuit keeps the provider out of routes' }),
  balance_alert_below: z
    .number()
    .min(0)
    .max(1e9)
    .optional()
    .openapi({ description: 'prepaid points below which the balance_low alert fires (0 = never); ALERT_LOW_BALANCE_POINTS when never set' }),
};
const UpdateProviderRequest = z
  .strictObject(providerFields)
  .refine((b) => Object.keys(b).some((k) => k !== 'provider'), 'give at least one field to change')
  .openapi('UpdateProvider');
/** The document's "Configure Provider Credentials" JSON: `{"provider": …, "config": {…}, "is_active", "priority"}`. */
const ConfigureProviderRequest = z
  .strictObject({ ...providerFields, provider: z.enum(PROVIDER_NAMES).openapi({ example: 'every8d' }) })
  .openapi('ConfigureProvider');
type ProviderBody = z.infer<typeof UpdateProviderRequest>;

const BalanceView = z
  .object({
    points: z.number(),
    source: z.enum(['send_reply', 'no_credit_reply', 'balance_query']),
    observed_at: z.string(),
    daily_spend: z.number().openapi({ description: 'points a day, averaged over the last 7 Asia/Taipei days with sends' }),
    runs_out_at: z.string().nullable().openapi({ description: 'forecast at that pace; null when nothing is spent' }),
    alert_below: z.number(),
    low: z.boolean(),
  })
  .openapi('ProviderBalance');

const ProviderView = z
  .object({
    name: z.enum(PROVIDER_NAMES),
    is_active: z.boolean(),
    priority: z.number(),
    rate_limit: z.number(),
    price_per_segment: z.number(),
    daily_limit: z.number(),
    daily_budget: z.number(),
    config: z.record(z.string(), z.string()).openapi({ description: 'non-secret settings only' }),
    credentials_set: z.array(z.string()).openapi({ description: 'names of the stored secrets; their values are never returned' }),
    today: z.object({ messages: z.number(), spend: z.number() }),
    circuit: z.object({ state: z.enum(['closed', 'open']), consecutive_failures: z.number(), open_until: z.string().nullable() }),
    balance: BalanceView.nullable().openapi({ description: 'prepaid points (Every8d, Mitake) as last reported; null while unknown' }),
  })
  .openapi('Provider');
const ProviderChanged = ProviderView.extend({ warnings: z.array(z.string()).openapi({ description: 'e.g. the base URL derived from a full endpoint URL' }) });

const NameParam = z.object({ name: z.string().openapi({ param: { name: 'name', in: 'path' }, example: 'every8d' }) });
const errors = {
  401: { description: 'Token', content: { 'application/json': { schema: ErrorResponse } } },
  403: { description: 'Admins only', content: { 'application/json': { schema: ErrorResponse } } },
};
const common = { tags: ['providers'], security: [{ bearer: [] }] };

export interface ProviderRouteDeps {
  repos: Repositories;
  urlPolicy: ProviderUrlPolicy;
  /** ALERT_LOW_BALANCE_POINTS, shown as the alert point of providers without one of their own. */
  lowBalancePoints?: number;
}

export function providerRoutes({ repos, urlPolicy, lowBalancePoints = 0 }: ProviderRouteDeps) {
  const app = new OpenAPIHono<AuthEnv>({ defaultHook: openApiHook });

  const view = async (rows: ProviderRow[]) => {
    const [usage, circuits, balances] = await Promise.all([
      repos.providerHealth.usageOn(startOfTaipeiDay(new Date())),
      repos.providerHealth.circuitStates(),
      balanceReports(repos, rows, lowBalancePoints),
    ]);
    // The rows are at hand: decrypting them says which secrets are set without reading each provider again.
    return rows.map((row) => ({
      ...providerView(row, repos.providers.configOf(row), usage.get(row._id), circuits.get(row._id)),
      balance: balanceView(balances.get(row._id)),
    }));
  };

  app.openapi(
    createRoute({
      ...common,
      method: 'get',
      path: '/',
      summary: 'Providers with health and usage (credentials never returned)',
      responses: { 200: { description: 'Providers', content: { 'application/json': { schema: z.object({ providers: z.array(ProviderView) }) } } }, ...errors },
    }),
    async (c) => {
      return c.json({ providers: await view(await repos.providers.list()) }, 200);
    },
  );

  const changed = { 200: { description: 'Updated', content: { 'application/json': { schema: ProviderChanged } } }, ...errors };
  app.openapi(
    createRoute({
      ...common,
      method: 'put',
      path: '/{name}',
      summary: 'Change a provider (admin); applies without restart',
      request: { params: NameParam, body: { content: { 'application/json': { schema: UpdateProviderRequest } }, required: true } },
      responses: { ...changed, 404: { description: 'Unknown provider', content: { 'application/json': { schema: ErrorResponse } } } },
    }),
    async (c) => {
      const name = c.req.valid('param').name as ProviderName;
      if (!PROVIDER_NAMES.includes(name))
        throw new ApiError(404, 'not_found', `Unknown provider "${c.req.valid('param').name}"; known: ${PROVIDER_NAMES.join(', ')}`);
      const body = c.req.valid('json');
      if (body.provider !== undefined && body.provider !== name) {
        throw new ApiError(422, 'validation_failed', `provider: "${body.provider}" does not match the path's "${name}"`, [
          { field: 'provider', message: `must be "${name}" (the provider in the path) or left out` },
        ]);
      }
      return c.json(await configure(name, body, c.get('principal').id), 200);
    },
  );

  app.openapi(
    createRoute({
      ...common,
      method: 'post',
      path: '/',
      summary: "Configure a provider with the integration document's JSON (admin); same rules as PUT /{name}",
      request: { body: { content: { 'application/json': { schema: ConfigureProviderRequest } }, required: true } },
      responses: changed,
    }),
    async (c) => {
      const body = c.req.valid('json');
      return c.json(await configure(body.provider, body, c.get('principal').id), 200);
    },
  );

  async function configure(name: ProviderName, body: ProviderBody, actor: string) {
    const parsed = CONFIG_SCHEMAS[name].safeParse(body.config ?? {});
    if (!parsed.success) throw validationError(parsed.error, 'body', 'config');
    const config = parsed.data as Record<string, string | undefined>;
    assertEndpointsAllowed(name, config, urlPolicy);
    const before = await repos.providers.getRow(name);
    const missing = before ? [] : REQUIRED_ON_CREATE[name].filter((k) => !config[k]);
    if (missing.length) {
      const details = missing.map((k) => ({ field: `config.${k}`, message: 'is required to configure a new provider' }));
      throw new ApiError(422, 'validation_failed', `Invalid body: ${details.map((d) => `${d.field}: ${d.message}`).join('; ')}`, details);
    }
    const { config: _config, provider: _provider, ...fields } = body;
    const after = await repos.providers.upsert(name, { ...fields, ...splitConfig(config) });
    await repos.audit.record({
      actor,
      action: 'provider.updated',
      target: { type: 'provider', id: name },
      before: before && redact(before),
      after: redact(after),
    });
    const [updated] = await view([after]);
    return { ...updated, warnings: endpointWarnings(body.config, config) };
  }

  return app;
}

/** Endpoint fields must pass the allowlist (`domain/providerUrls.ts`): the worker sends credentials there. */
function assertEndpointsAllowed(provider: ProviderName, config: Record<string, string | undefined>, policy: ProviderUrlPolicy): void {
  const details = (['base_url', 'api_url'] as const).flatMap((field) => {
    const value = config[field];
    const problem = value === undefined ? undefined : providerUrlProblem(provider, value, policy);
    return problem ? [{ field: `config.${field}`, message: problem }] : [];
  });
  if (details.length) throw new ApiError(422, 'validation_failed', `Invalid body: ${details.map((d) => `${d.field}: ${d.message}`).join('; ')}`, details);
}

/** Tells the operator when a full endpoint URL was cut back to the base the adapter builds on. */
function endpointWarnings(given: Record<string, unknown> | undefined, parsed: Record<string, string | undefined>): string[] {
  return (['api_url', 'base_url'] as const)
    .filter((k) => typeof given?.[k] === 'string' && parsed[k] !== undefined && given[k].replace(/\/+$/, '') !== parsed[k])
    .map((k) => `config.${k}: stored the base ${parsed[k]}; each call's path is added by the adapter (the given ${String(given?.[k])} is an endpoint of it)`);
}

/** Splits the API's flat `config` into stored settings and encrypted credentials. */
function splitConfig(config: Record<string, string | undefined>): Pick<ProviderChange, 'settings' | 'credentials'> {
  const settings: Record<string, string> = {};
  const credentials: Record<string, string> = {};
  for (const [k, v] of Object.entries(config)) {
    if (v === undefined) continue;
    if (SECRET_FIELDS.has(k)) credentials[k] = v;
    else settings[k === 'base_url' ? 'api_url' : k] = v;
  }
  return { ...(Object.keys(settings).length ? { settings } : {}), ...(Object.keys(credentials).length ? { credentials } : {}) };
}

/** A provider row as audit entries keep it: the ciphertext is replaced by the names of the secrets. */
function redact(row: ProviderRow) {
  const { credentials: _credentials, ...rest } = row;
  return { ...rest, credentials: '[redacted]' };
}

function providerView(
  row: ProviderRow,
  config: { credentials: Record<string, string> } | null,
  usage?: { messages: number; spend: number },
  circuit?: { consecutive_failures: number; open_until?: Date },
) {
  const open = Boolean(circuit?.open_until && circuit.open_until > new Date());
  const settings = Object.fromEntries(Object.entries(row.settings).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
  return {
    name: row._id,
    is_active: row.is_active,
    priority: row.priority,
    rate_limit: row.rate_limit,
    price_per_segment: row.price_per_segment,
    daily_limit: row.daily_limit,
    daily_budget: row.daily_budget ?? 0,
    config: settings,
    credentials_set: Object.keys(config?.credentials ?? {}).sort(),
    today: { messages: usage?.messages ?? 0, spend: Math.round((usage?.spend ?? 0) * 100) / 100 },
    circuit: {
      state: open ? ('open' as const) : ('closed' as const),
      consecutive_failures: circuit?.consecutive_failures ?? 0,
      open_until: open ? circuit!.open_until!.toISOString() : null,
    },
  };
}
