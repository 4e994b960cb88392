import type { ContentPolicy } from './domain/contentPolicy';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';

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
  /** Encrypts Temporal payloads (inputs, results, signals, queries); the codec endpoint decrypts them for operators. */
  PAYLOAD_ENCRYPTION_KEY: z.string().default(DEV_PAYLOAD_KEY),
  /** Earlier PAYLOAD_ENCRYPTION_KEYs, comma-separated, so histories written before a rotation stay readable. */
  PAYLOAD_PREVIOUS_KEYS: z.string().default(''),
  /** Browser origins (the Temporal UI) allowed to call the codec endpoint, comma-separated. */
  CODEC_CORS_ORIGINS: z.string().default('http://127.0.0.1:8233,http://localhost:8233'),
  /** Secret carried in the Every8d/Mitake callback URLs, which have no signatures of their own. */
  WEBHOOK_TOKEN: z.string().min(16, 'must be at least 16 characters').default(DEV_WEBHOOK_TOKEN),
  /** Optional comma-separated IPs/CIDRs allowed to call the Every8d/Mitake webhooks. */
  WEBHOOK_IP_ALLOWLIST: z.string().default(''),

  /** Requests per minute per API key or JWT subject (a key may carry its own limit). */
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(600),
  /** Anti-pumping: messages per destination number per hour and per Asia/Taipei day. */
  PHONE_LIMIT_PER_HOUR: z.coerce.number().int().min(1).default(5),
  PHONE_LIMIT_PER_DAY: z.coerce.number().int().min(1).default(20),
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
   * Retention: message bodies and full numbers are purged this many days after a message was created (its counts
   * stay in the rollups); the log's lookup lists and webhook receipts go too.
   */
  MESSAGE_RETENTION_DAYS: z.coerce.number().int().min(1).max(3_650).default(180),
  /** How often workers re-read provider rows to apply a changed rate limit. */
  PROVIDER_REFRESH_MS: millis(10_000),

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
  SIMULATORS: z.stringbool().default(true),
  /** A standalone worker serves its Prometheus metrics on this port (unset: none; `npm start` serves them at /metrics). */
  WORKER_METRICS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  /** `npm start` runs the workers in its own process unless this is false (they then run as `src/worker.ts`). */
  RUN_WORKERS: z.stringbool().default(true),
  SIMULATOR_PORT: port(8090),

  /** Real provider accounts, seeded into sms_providers at start when absent (ignored while SIMULATORS=true). */
  TWILIO_ACCOUNT_SID: z.string().regex(/^AC\w{32}$/, 'must look like AC followed by 32 characters').optional(),
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

export type Config = z.infer<typeof envSchema>;

/** The only reader of process.env. Fails fast with every bad field named. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable (`JWT_SECRET=` in a compose file) means "not set", not "set to nothing".
  const given = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(given);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const config = parsed.data;
  if (config.APP_ENV === 'production') assertProductionSecrets(config);
  return config;
}

function assertProductionSecrets(config: Config): void {
  const problems: string[] = [];
  const defaults: [keyof Config, string][] = [
    ['ADMIN_TOKEN', DEV_ADMIN_TOKEN],
    ['CREDENTIALS_KEY', DEV_CREDENTIALS_KEY],
    ['PAYLOAD_ENCRYPTION_KEY', DEV_PAYLOAD_KEY],
    ['WEBHOOK_TOKEN', DEV_WEBHOOK_TOKEN],
  ];
  for (const [name, value] of defaults) if (config[name] === value) problems.push(`${name} must be set (not the development default) in production`);
  if (!config.PUBLIC_BASE_URL) problems.push('PUBLIC_BASE_URL must be set in production');
  if (problems.length) throw new Error(`Invalid configuration:\n  ${problems.join('\n  ')}`);
}

export function csv(value: string): string[] {
  return value.split(',').map((s) => s.trim()).filter(Boolean);
}

export function quietWindows(config: Pick<Config, 'QUIET_HOURS'>): { start: string; end: string }[] {
  return csv(config.QUIET_HOURS).map((w) => {
    const [start, end] = w.split('-');
    return { start, end };
  });
}

export function defaultContentPolicy(config: Pick<Config, 'SENDER_IDENTITY' | 'SENDER_IDENTITY_MODE' | 'REGISTERED_LINK_DOMAINS' | 'REGISTERED_CALLBACK_NUMBERS'>): ContentPolicy {
  return { sender_identity: config.SENDER_IDENTITY, missing_identity: config.SENDER_IDENTITY_MODE, link_domains: csv(config.REGISTERED_LINK_DOMAINS), callback_numbers: csv(config.REGISTERED_CALLBACK_NUMBERS) };
}

export function publicBaseUrl(config: Config): string {
  return (config.PUBLIC_BASE_URL ?? `http://${config.HOST}:${config.PORT}`).replace(/\/$/, '');
}
