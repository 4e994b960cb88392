import type { ContentPolicy } from './domain/contentPolicy';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import type { PhoneLimits } from './domain/phoneBudget';
import type { ProviderUrlPolicy } from './domain/providerUrls';
import { SIMULATOR_CREDENTIALS } from './simulator/credentials';
import { DEFAULT_SIMULATOR_CREDIT } from './simulator/state';
import { keyStrengthProblem, tokenGuessableProblem } from './domain/keyStrength';
import { MAX_SCHEDULE_AHEAD_DAYS } from './domain/sendWindow';

/** Milliseconds from an env string; accepts plain integers only so "5s" fails loudly rather than becoming NaN. */
const millis = (fallback: number) => z.coerce.number().int().nonnegative().default(fallback);
const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);
const optionalUrl = z.url().optional();

/** Development-only defaults; production refuses to start with any of them. */
export const DEV_ADMIN_TOKEN = 'dev-admin-token-change-me';
const DEV_CREDENTIALS_KEY = 'dev-only-credentials-key-change-me-0000';
const DEV_PAYLOAD_KEY = 'dev-only-payload-key-change-me-000000000';
const DEV_WEBHOOK_TOKEN = 'dev-webhook-token-change-me';

const envSchema = z.object({
  APP_ENV: z.enum(['development', 'production']).default('development'),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  HOST: z.string().default('127.0.0.1'),
  PORT: port(8080),
  /** Base URL providers use to reach our webhooks (what Twilio signs); defaults to the local API address. */
  PUBLIC_BASE_URL: optionalUrl,
  ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').default(DEV_ADMIN_TOKEN),
  /** 32-byte key (hex or base64) that encrypts provider credentials at rest. */
  CREDENTIALS_KEY: z.string().default(DEV_CREDENTIALS_KEY),
  /** Earlier CREDENTIALS_KEYs, comma-separated: still decrypt, while every write re-encrypts with the current key. */
  CREDENTIALS_PREVIOUS_KEYS: z.string().default(''),
  /** Verifies HS256 JWTs from the LuckyGas backend (claims: sub, role, exp). Unset: JWTs are not accepted. */
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  /** When set, a JWT's `iss` must equal it. */
  JWT_ISSUER: z.string().optional(),
  /** When set, a JWT's `aud` must contain it. */
  JWT_AUDIENCE: z.string().optional(),
  /** Longest JWT lifetime accepted (exp - iat, and exp from now), in seconds. */
  JWT_MAX_LIFETIME_S: z.coerce
    .number()
    .int()
    .min(60)
    .default(24 * 3600),
  /** Failed authentications (401) per client address per minute; past it the address is answered 429 until the minute ends. */
  AUTH_FAILURES_PER_MINUTE: z.coerce.number().int().min(1).default(20),
  /** Encrypts Temporal payloads (inputs, results, signals, queries); the codec endpoint decrypts them for operators. */
  PAYLOAD_ENCRYPTION_KEY: z.string().default(DEV_PAYLOAD_KEY),
  /** Earlier PAYLOAD_ENCRYPTION_KEYs, comma-separated, so histories written before a rotation stay readable. */
  PAYLOAD_PREVIOUS_KEYS: z.string().default(''),
  /** Browser origins (the Temporal UI) allowed to call the codec endpoint, comma-separated. */
  CODEC_CORS_ORIGINS: z.string().default('http://127.0.0.1:8233,http://localhost:8233'),
  /** Secret carried in the Every8d/Mitake callback URLs, which have no signatures of their own. */
  WEBHOOK_TOKEN: z.string().min(16, 'must be at least 16 characters').default(DEV_WEBHOOK_TOKEN),
  /** The token being replaced, still accepted while providers' callback URLs move to WEBHOOK_TOKEN (rotation). */
  WEBHOOK_TOKEN_PREVIOUS: z.string().min(16, 'must be at least 16 characters').optional(),
  /** Optional comma-separated IPs/CIDRs allowed to call the Every8d/Mitake webhooks. */
  WEBHOOK_IP_ALLOWLIST: z.string().default(''),
  /**
   * Reverse proxies (IPs/CIDRs, comma-separated) whose X-Forwarded-For names the real client. Empty: the header is
   * ignored, since anyone can send it, and the allowlist sees the connecting address.
   */
  TRUSTED_PROXIES: z.string().default(''),

  /** Requests per minute per API key or JWT subject (a key may carry its own limit). */
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(600),
  /** Anti-pumping: messages per destination number per hour and per Asia/Taipei day. */
  PHONE_LIMIT_PER_HOUR: z.coerce.number().int().min(1).default(5),
  PHONE_LIMIT_PER_DAY: z.coerce.number().int().min(1).default(20),
  /** Log searches by phone number per non-admin key per hour: each one unmasks a number, so they are few and audited. */
  PHONE_LOOKUPS_PER_HOUR: z.coerce.number().int().min(1).default(30),
  /** Higher allowance for order and delivery notices. */
  PHONE_TRANSACTIONAL_LIMIT_PER_HOUR: z.coerce.number().int().min(1).default(20),
  PHONE_TRANSACTIONAL_LIMIT_PER_DAY: z.coerce.number().int().min(1).default(60),
  /** Consecutive provider-level failures that open a provider's circuit, and how long it stays open. */
  CIRCUIT_FAILURE_THRESHOLD: z.coerce.number().int().min(1).default(5),
  CIRCUIT_COOLDOWN_MS: millis(60_000),
  /** Recipients per page of a batch (one continue-as-new each) and children sending at once per batch. */
  BULK_PAGE_SIZE: z.coerce.number().int().min(1).max(2_000).default(250),
  BULK_WINDOW: z.coerce.number().int().min(1).max(1_000).default(100),
  /** Default quiet hours (Asia/Taipei) for marketing: `HH:MM-HH:MM` windows, comma-separated; editable via the API. */
  QUIET_HOURS: z
    .string()
    .default('21:00-09:00,12:30-13:30')
    .refine((v) => v === '' || csv(v).every((w) => /^\d\d:\d\d(:\d\d)?-\d\d:\d\d(:\d\d)?$/.test(w)), 'must be HH:MM-HH:MM windows, comma-separated'),
  /** Default content policy (editable via settings/content-policy): registered sender identity, and what a text without it gets. */
  SENDER_IDENTITY: z.string().max(20).default('【幸福氣】'),
  SENDER_IDENTITY_MODE: z.enum(['prepend', 'reject']).default('prepend'),
  /** Registered link domains and call-back numbers, comma-separated; marketing with any other is refused. */
  REGISTERED_LINK_DOMAINS: z.string().default(''),
  REGISTERED_CALLBACK_NUMBERS: z.string().default(''),
  /** Alerts: evaluated every ALERT_INTERVAL_MS over the last ALERT_WINDOW_MS, POSTed to ALERT_WEBHOOK_URL. */
  ALERT_WEBHOOK_URL: optionalUrl,
  ALERT_INTERVAL_MS: millis(5 * 60_000),
  ALERT_WINDOW_MS: millis(15 * 60_000),
  ALERT_MIN_DELIVERY_RATE: z.coerce.number().min(0).max(1).default(0.9),
  ALERT_MIN_RECEIPTS: z.coerce.number().int().min(1).default(10),
  ALERT_RATE_LIMITED: z.coerce.number().int().min(1).default(50),
  ALERT_WEBHOOK_REJECTED: z.coerce.number().int().min(1).default(10),
  /**
   * Provider balances: a prepaid account (Every8d, Mitake) with fewer points than this raises `balance_low`, unless
   * its provider row sets `balance_alert_below`; 0 = no alert. Balances are asked of the providers every
   * BALANCE_REFRESH_INTERVAL_MS (send replies update them in between).
   */
  ALERT_LOW_BALANCE_POINTS: z.coerce.number().min(0).default(1_000),
  BALANCE_REFRESH_INTERVAL_MS: millis(10 * 60_000),
  /**
   * Retention: message bodies and full numbers are purged this many days after a message was created (its counts
   * stay in the rollups); the log's lookup lists and webhook receipts go too.
   */
  MESSAGE_RETENTION_DAYS: z.coerce
    .number()
    .int()
    // A message may be scheduled 30 days ahead and then wait a day for its receipt: purged sooner, it would be sent
    // with its text and number already gone.
    .min(MAX_SCHEDULE_AHEAD_DAYS + 2, `must be at least ${MAX_SCHEDULE_AHEAD_DAYS + 2}: a message may be scheduled ${MAX_SCHEDULE_AHEAD_DAYS} days ahead`)
    .max(3_650)
    .default(180),
  /**
   * How long a change to a shared counter or lookup document waits for others to join its write (batch messages
   * only; order and delivery notices never wait). See src/db/coalescingWriter.ts. 200 ms merges a batch's changes
   * to the hour's lists and the day's counters into about half the writes 50 ms did, which took about a third off
   * the store's CPU per message (docs/throughput.md, fourteenth round); longer saved little more.
   */
  WRITE_LINGER_MS: z.coerce.number().int().min(0).max(1_000).default(200),
  /**
   * Connections of each process's bulk lane to MongoDB: batch intake and everything the worker does except order and
   * delivery notices share them, so the store never queues more than this many bulk commands ahead of a notice
   * (src/db/lanes.ts). 0: one pool for everything.
   */
  BULK_DB_CONNECTIONS: z.coerce.number().int().min(0).max(100).default(4),
  /**
   * Provider calls each provider worker runs at once: keep it above the sum of the batch windows running together,
   * so an order notice always finds a free slot (src/temporal/providerWorkerPool.ts).
   */
  PROVIDER_ACTIVITY_SLOTS: z.coerce.number().int().min(1).max(5_000).default(400),
  /**
   * Source-mapped stack traces of every promise a workflow creates, kept for the Temporal UI's "Stack Trace" tab.
   * Off by default: capturing them took about a fifth of the workflow thread's time per message (docs/throughput.md);
   * turn on while debugging a stuck workflow. Read when the workers start (patches/README.md).
   */
  WORKFLOW_STACK_TRACES: z.stringbool().default(false),
  /** How often workers re-read provider rows to apply a changed rate limit. */
  PROVIDER_REFRESH_MS: millis(10_000),
  /** How often the worker retries Temporal calls intake could not make (starts, receipts during an outage). */
  OUTBOX_RELAY_INTERVAL_MS: millis(2_000),

  TEMPORAL_ADDRESS: z.string().optional(),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_TLS: z.stringbool().default(false),
  TEMPORAL_API_KEY: z.string().optional(),
  TEMPORAL_UI_URL: optionalUrl,
  TEMPORAL_CLI_PATH: z.string().optional(),
  TEMPORAL_PORT: port(7233),
  TEMPORAL_UI_PORT: port(8233),

  MONGODB_URI: z.string().optional(),
  MONGODB_DB: z.string().default('luckygas_sms'),
  FERRETDB_PATH: z.string().optional(),
  MONGO_PORT: port(27017),

  DATA_DIR: z.string().default('data'),
  /** Chromium for the dashboard's browser test; `npm run setup` installs Debian's package when missing (as root). */
  CHROMIUM_PATH: z.string().default('/usr/bin/chromium'),
  /** Where the Temporal CLI and FerretDB builds are kept between runs (outside the repo, shared by clones). */
  CACHE_DIR: z.string().default(join(homedir(), '.cache', 'luckygas-sms')),
  /** `npm start` runs the provider simulators: the default in development; production refuses them. */
  SIMULATORS: z.stringbool().optional(),
  /** A standalone worker serves its Prometheus metrics on this port (unset: none; `npm start` serves them at /metrics). */
  WORKER_METRICS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  /** `npm start` runs the workers in its own process unless this is false (they then run as `src/worker.ts`). */
  RUN_WORKERS: z.stringbool().default(true),
  SIMULATOR_PORT: port(8090),
  /** Prepaid points the simulated Every8d and Mitake accounts start with (each send takes one per segment). */
  SIMULATOR_EVERY8D_CREDIT: z.coerce.number().min(0).default(DEFAULT_SIMULATOR_CREDIT),
  SIMULATOR_MITAKE_CREDIT: z.coerce.number().min(0).default(DEFAULT_SIMULATOR_CREDIT),

  /** Real provider accounts, seeded into sms_providers at start when absent (ignored while SIMULATORS=true). */
  TWILIO_ACCOUNT_SID: z
    .string()
    .regex(/^AC\w{32}$/, 'must look like AC followed by 32 characters')
    .optional(),
  TWILIO_AUTH_TOKEN: z.string().optional(),
  TWILIO_FROM_NUMBER: z.string().optional(),
  TWILIO_MESSAGING_SERVICE_SID: z.string().optional(),
  TWILIO_API_URL: z.url().default('https://api.twilio.com'),
  EVERY8D_USERNAME: z.string().optional(),
  EVERY8D_PASSWORD: z.string().optional(),
  EVERY8D_API_URL: z.url().default('https://new.e8d.tw'),
  MITAKE_USERNAME: z.string().optional(),
  MITAKE_PASSWORD: z.string().optional(),
  MITAKE_API_URL: z.url().default('https://smsapi.mitake.com.tw'),

  /** Hosts an admin may point each provider at (`host` or `*.domain`, comma-separated); loopback only in development. */
  TWILIO_ALLOWED_HOSTS: z.string().default('api.twilio.com'),
  EVERY8D_ALLOWED_HOSTS: z.string().default('*.e8d.tw'),
  MITAKE_ALLOWED_HOSTS: z.string().default('*.mitake.com.tw'),

  /** How long one HTTP call to a provider may take before we give up on that provider (and record ambiguity). */
  SMS_PROVIDER_TIMEOUT_MS: millis(10_000),
  /** How long a sent message waits for its delivery receipt before it is marked expired. */
  SMS_RECEIPT_TIMEOUT_MS: millis(24 * 60 * 60 * 1000),
  /** How often the workflow asks a poll-only provider (Every8d) for a receipt. */
  SMS_RECEIPT_POLL_MS: millis(60_000),
  /** Attempts per provider for transient errors (5xx, connection refused) before failing over. */
  SMS_ATTEMPTS_PER_PROVIDER: z.coerce.number().int().min(1).max(10).default(3),
  /** Re-send through the next provider when a receipt says undelivered. */
  SMS_REROUTE_ON_UNDELIVERED: z.stringbool().default(false),
});

export type Config = Omit<z.infer<typeof envSchema>, 'SIMULATORS'> & { SIMULATORS: boolean };

/** The only reader of process.env. Fails fast with every bad field named. */
const EMPTY_IS_A_VALUE = new Set(['QUIET_HOURS']);

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable (`JWT_SECRET=` in a compose file) means "not set", not "set to nothing" — except where nothing
  // is a value: `QUIET_HOURS=` is "no quiet hours" (tests and benchmarks rely on it at any hour of the day).
  const given = Object.fromEntries(Object.entries(env).filter(([key, v]) => v !== undefined && (v !== '' || EMPTY_IS_A_VALUE.has(key))));
  const parsed = envSchema.safeParse(given);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const config = { ...parsed.data, SIMULATORS: parsed.data.SIMULATORS ?? parsed.data.APP_ENV !== 'production' };
  if (config.APP_ENV === 'production') {
    const problems = productionProblems(config);
    if (problems.length) throw new Error(`Refusing to start in production:\n  ${problems.join('\n  ')}`);
  }
  return config;
}

/** Shortest webhook token production accepts: it is the only thing standing between anyone and fake receipts. */
export const MIN_PRODUCTION_WEBHOOK_TOKEN = 32;

/**
 * Every development default or test double a production process must not run with, each named with what to do.
 * Checked by `start:api`, `start:worker` and docker-compose (APP_ENV=production); `npm start` is development.
 */
export function productionProblems(config: Config): string[] {
  const problems: string[] = [];
  const defaults: [keyof Config, string][] = [
    ['ADMIN_TOKEN', DEV_ADMIN_TOKEN],
    ['CREDENTIALS_KEY', DEV_CREDENTIALS_KEY],
    ['PAYLOAD_ENCRYPTION_KEY', DEV_PAYLOAD_KEY],
    ['WEBHOOK_TOKEN', DEV_WEBHOOK_TOKEN],
  ];
  const defaultFor = (name: keyof Config) => defaults.find(([n]) => n === name)?.[1];
  for (const [name, value] of defaults) if (config[name] === value) problems.push(`${name} is the development default: set your own`);
  for (const name of ['CREDENTIALS_KEY', 'PAYLOAD_ENCRYPTION_KEY'] as const) {
    const problem = config[name] === defaultFor(name) ? undefined : keyStrengthProblem(name, config[name]);
    if (problem) problems.push(problem);
  }
  for (const name of ['WEBHOOK_TOKEN', 'WEBHOOK_TOKEN_PREVIOUS'] as const) {
    const token = config[name];
    if (token !== undefined && token.length < MIN_PRODUCTION_WEBHOOK_TOKEN)
      problems.push(`${name} has ${token.length} characters: use at least ${MIN_PRODUCTION_WEBHOOK_TOKEN} (e.g. openssl rand -hex 24)`);
  }
  for (const name of ['ADMIN_TOKEN', 'JWT_SECRET', 'WEBHOOK_TOKEN', 'WEBHOOK_TOKEN_PREVIOUS'] as const) {
    const token = config[name];
    // ADMIN_TOKEN may have 16 characters, too few for the estimate to tell a random one from a word: the pattern only.
    const minBits = name === 'ADMIN_TOKEN' ? 0 : undefined;
    const problem = token === undefined || token === defaultFor(name) ? undefined : tokenGuessableProblem(name, token, minBits);
    if (problem) problems.push(problem);
  }
  if (config.SIMULATORS) problems.push('SIMULATORS is true: the provider simulators never run in production; set SIMULATORS=false');
  const simulatorAccounts: [keyof Config, string][] = [
    ['TWILIO_ACCOUNT_SID', SIMULATOR_CREDENTIALS.twilio.account_sid],
    ['TWILIO_AUTH_TOKEN', SIMULATOR_CREDENTIALS.twilio.auth_token],
    ['EVERY8D_PASSWORD', SIMULATOR_CREDENTIALS.every8d.password],
    ['MITAKE_PASSWORD', SIMULATOR_CREDENTIALS.mitake.password],
  ];
  for (const [name, value] of simulatorAccounts) if (config[name] === value) problems.push(`${name} is the simulator's account: set the real provider account`);
  if (!config.PUBLIC_BASE_URL) problems.push('PUBLIC_BASE_URL must be set in production');
  // Providers call it from the internet with our webhook token in the query: an internal name never answers them
  // (every receipt would be lost), and plain http would hand the token to anyone on the way.
  else if (!/^https:\/\/[^/]*\./.test(config.PUBLIC_BASE_URL))
    problems.push(`PUBLIC_BASE_URL is ${config.PUBLIC_BASE_URL}: in production it must be the public https address providers call back`);
  return problems;
}

export function phoneLimits(config: Config): PhoneLimits {
  return {
    perHour: config.PHONE_LIMIT_PER_HOUR,
    perDay: config.PHONE_LIMIT_PER_DAY,
    transactionalPerHour: config.PHONE_TRANSACTIONAL_LIMIT_PER_HOUR,
    transactionalPerDay: config.PHONE_TRANSACTIONAL_LIMIT_PER_DAY,
  };
}

export function providerUrlPolicy(config: Config): ProviderUrlPolicy {
  return {
    allowedHosts: { twilio: csv(config.TWILIO_ALLOWED_HOSTS), every8d: csv(config.EVERY8D_ALLOWED_HOSTS), mitake: csv(config.MITAKE_ALLOWED_HOSTS) },
    development: config.APP_ENV === 'development',
  };
}

export function csv(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

export function quietWindows(config: Pick<Config, 'QUIET_HOURS'>): { start: string; end: string }[] {
  return csv(config.QUIET_HOURS).map((w) => {
    const [start, end] = w.split('-');
    return { start, end };
  });
}

export function defaultContentPolicy(
  config: Pick<Config, 'SENDER_IDENTITY' | 'SENDER_IDENTITY_MODE' | 'REGISTERED_LINK_DOMAINS' | 'REGISTERED_CALLBACK_NUMBERS'>,
): ContentPolicy {
  return {
    sender_identity: config.SENDER_IDENTITY,
    missing_identity: config.SENDER_IDENTITY_MODE,
    link_domains: csv(config.REGISTERED_LINK_DOMAINS),
    callback_numbers: csv(config.REGISTERED_CALLBACK_NUMBERS),
  };
}

export function publicBaseUrl(config: Config): string {
  return (config.PUBLIC_BASE_URL ?? `http://${config.HOST}:${config.PORT}`).replace(/\/$/, '');
}

/** Starting points of the simulated prepaid accounts. */
export function simulatorCredit(config: Pick<Config, 'SIMULATOR_EVERY8D_CREDIT' | 'SIMULATOR_MITAKE_CREDIT'>): { every8d: number; mitake: number } {
  return { every8d: config.SIMULATOR_EVERY8D_CREDIT, mitake: config.SIMULATOR_MITAKE_CREDIT };
}
