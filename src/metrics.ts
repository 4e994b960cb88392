import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Prometheus metrics of this process. `npm start` runs API and workers in one process, so one registry serves
 * both; a standalone worker serves its own on WORKER_METRICS_PORT. Labels never carry a phone number or an id.
 */
export interface Metrics {
  registry: Registry;
  httpRequests: Counter<'method' | 'route' | 'status'>;
  messagesAccepted: Counter<'message_type'>;
  startsDeferred: Counter<'kind'>;
  messagesByStatus: Counter<'provider' | 'status'>;
  providerCalls: Counter<'provider' | 'outcome'>;
  providerLatency: Histogram<'provider'>;
  receipts: Counter<'provider' | 'disposition'>;
  receiptRowsDropped: Counter;
  webhookRejections: Counter<'provider' | 'reason'>;
  rateLimitRejections: Counter<'scope'>;
  providerRateLimit: Gauge<'provider'>;
}

let shared: Metrics | undefined;

/** The process-wide metrics (created once: prom-client refuses a metric name registered twice). */
export function metrics(): Metrics {
  if (shared) return shared;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'luckygas_' });
  const registers = [registry];
  shared = {
    registry,
    httpRequests: new Counter({
      name: 'luckygas_http_requests_total',
      help: 'API requests by route and status',
      labelNames: ['method', 'route', 'status'],
      registers,
    }),
    messagesAccepted: new Counter({ name: 'luckygas_sms_accepted_total', help: 'Messages accepted by the API', labelNames: ['message_type'], registers }),
    startsDeferred: new Counter({
      name: 'luckygas_temporal_calls_deferred_total',
      help: 'Workflow starts and receipt signals left to the outbox relay because Temporal did not answer in time',
      labelNames: ['kind'],
      registers,
    }),
    messagesByStatus: new Counter({
      name: 'luckygas_sms_status_total',
      help: 'Messages reaching a status (sent, delivered, undelivered, failed, expired)',
      labelNames: ['provider', 'status'],
      registers,
    }),
    providerCalls: new Counter({
      name: 'luckygas_provider_calls_total',
      help: 'Provider send calls by outcome',
      labelNames: ['provider', 'outcome'],
      registers,
    }),
    providerLatency: new Histogram({
      name: 'luckygas_provider_call_seconds',
      help: 'Duration of provider send calls',
      labelNames: ['provider'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    receipts: new Counter({
      name: 'luckygas_receipts_total',
      help: 'Delivery receipts received, by what became of them',
      labelNames: ['provider', 'disposition'],
      registers,
    }),
    receiptRowsDropped: new Counter({
      name: 'luckygas_receipt_rows_dropped_total',
      help: 'Raw webhook rows of receipts taken during a store outage and given up (the receipts themselves were applied): too many waiting (overflow), refused by the store (refused), or the API stopped first (shutdown)',
      labelNames: ['reason'],
      registers,
    }),
    webhookRejections: new Counter({
      name: 'luckygas_webhook_rejections_total',
      help: 'Webhook calls refused (bad signature, token or address)',
      labelNames: ['provider', 'reason'],
      registers,
    }),
    rateLimitRejections: new Counter({
      name: 'luckygas_rate_limit_rejections_total',
      help: 'Requests refused by a rate limit',
      labelNames: ['scope'],
      registers,
    }),
    providerRateLimit: new Gauge({
      name: 'luckygas_provider_rate_limit',
      help: 'Messages per second the running provider worker asks Temporal to allow',
      labelNames: ['provider'],
      registers,
    }),
  };
  return shared;
}
