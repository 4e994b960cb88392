import { launchStack } from '../../src/stack/launcher/launch';
import { freePorts } from '../../src/stack/launcher/ports';

export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789';
export const TEST_WEBHOOK_TOKEN = 'test-webhook-token-0123456789';
/** Accepted during a token rotation. */
export const TEST_WEBHOOK_TOKEN_PREVIOUS = 'test-webhook-token-previous-0123456789';
export const TEST_JWT_SECRET = 'test-jwt-secret-0123456789-0123456789';
export const TEST_JWT_ISSUER = 'luckygas-backend';
export const TEST_JWT_AUDIENCE = 'luckygas-sms';

/**
 * Starts the real embedded stack once per test run (Temporal dev server, FerretDB, simulators, API, and the
 * workers in their own process) with short timeouts, so failure paths (hangs, missing receipts) take seconds.
 */
export default async function globalSetup(): Promise<void> {
  const alertSinkPort = await freePorts(1);
  const stack = await launchStack({
    // Alerts: a short window and low thresholds so a test can make each rule fire and resolve in seconds.
    ALERT_WEBHOOK_URL: `http://127.0.0.1:${alertSinkPort}/alerts`,
    ALERT_WINDOW_MS: '8000',
    ALERT_MIN_RECEIPTS: '3',
    ALERT_WEBHOOK_REJECTED: '3',
    ALERT_RATE_LIMITED: '3',
    ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    SMS_PROVIDER_TIMEOUT_MS: '1500',
    SMS_RECEIPT_TIMEOUT_MS: '5000',
    SMS_RECEIPT_POLL_MS: '500',
    SMS_ATTEMPTS_PER_PROVIDER: '2',
    WEBHOOK_TOKEN: TEST_WEBHOOK_TOKEN,
    WEBHOOK_TOKEN_PREVIOUS: TEST_WEBHOOK_TOKEN_PREVIOUS,
    JWT_SECRET: TEST_JWT_SECRET,
    JWT_ISSUER: TEST_JWT_ISSUER,
    JWT_AUDIENCE: TEST_JWT_AUDIENCE,
    // Loopback is the only proxy: a test may then act as other client addresses with X-Forwarded-For (the
    // failed-authentication throttle is per address); requests without the header are the loopback client as before.
    TRUSTED_PROXIES: '127.0.0.1',
    RATE_LIMIT_PER_MINUTE: '100000',
    PROVIDER_REFRESH_MS: '500',
    // Tests that open a circuit lower the threshold on one provider through the admin API.
    CIRCUIT_FAILURE_THRESHOLD: '1000',
    // Small pages and windows so a few hundred recipients exercise continue-as-new and the sliding window.
    BULK_PAGE_SIZE: '50',
    BULK_WINDOW: '20',
    // No quiet hours by default, whatever time CI runs at; the quiet-hours test sets its own window.
    QUIET_HOURS: '',
  });
  Object.assign(globalThis, { __LUCKYGAS_STACK__: stack.stack });
  Object.assign(process.env, {
    TEST_API_URL: stack.apiUrl,
    TEST_TEMPORAL_UI_URL: stack.temporalUiUrl,
    TEST_ADMIN_TOKEN,
    TEST_WEBHOOK_TOKEN,
    TEST_WEBHOOK_TOKEN_PREVIOUS,
    TEST_JWT_SECRET,
    TEST_JWT_ISSUER,
    TEST_JWT_AUDIENCE,
    TEST_MONGO_URI: stack.mongoUri,
    TEST_MONGO_DB: 'luckygas_sms',
    TEST_TEMPORAL_ADDRESS: stack.temporalAddress,
    TEST_SIM_URLS: JSON.stringify(stack.simUrls),
    TEST_STACK_LOG: stack.stackLog,
    TEST_WORKER_ENV: JSON.stringify(stack.workerEnv),
    TEST_WORKER_LOG: stack.workerLog,
    TEST_WORKER_PIDS: stack.workerPidFile,
    TEST_WORKER_METRICS_URL: stack.workerMetricsUrl,
    TEST_ALERT_SINK_PORT: String(alertSinkPort),
  });
}
