import type { ProviderName } from '../domain/sms';

/**
 * Who a failure is final for. `message`: this text can never be sent (invalid number) — stop, no failover.
 * `provider`: this provider cannot send now (bad credentials, no credit, timed out) — fail over to the next.
 */
export type FailureScope = 'message' | 'provider';

export interface ProviderErrorInit {
  provider: ProviderName;
  /** Vendor code or our own (`http_503`, `timeout`, `-99`, `21211`). */
  code: string;
  message: string;
  retryable: boolean;
  scope: FailureScope;
  /** The request may have reached the provider and been accepted: a resend could text the customer twice. */
  ambiguous?: boolean;
  /** Set on "insufficient credit" refusals: the points the account has left (0 when the reply gives no figure). */
  balance?: number;
}

export class ProviderError extends Error {
  readonly provider: ProviderName;
  readonly code: string;
  readonly retryable: boolean;
  readonly scope: FailureScope;
  readonly ambiguous: boolean;
  readonly balance?: number;

  constructor(init: ProviderErrorInit) {
    super(init.message);
    this.name = 'ProviderError';
    this.provider = init.provider;
    this.code = init.code;
    this.retryable = init.retryable;
    this.scope = init.scope;
    this.ambiguous = init.ambiguous ?? false;
    if (init.balance !== undefined) this.balance = init.balance;
  }

  static transient(provider: ProviderName, code: string, message: string): ProviderError {
    return new ProviderError({ provider, code, message, retryable: true, scope: 'provider' });
  }

  static providerDown(provider: ProviderName, code: string, message: string): ProviderError {
    return new ProviderError({ provider, code, message, retryable: false, scope: 'provider' });
  }

  /** The account cannot pay for this message: fail over (not a message fault), and routing learns the balance. */
  static noCredit(provider: ProviderName, code: string, message: string, balance: number): ProviderError {
    return new ProviderError({ provider, code, message, retryable: false, scope: 'provider', balance });
  }

  static messageRejected(provider: ProviderName, code: string, message: string): ProviderError {
    return new ProviderError({ provider, code, message, retryable: false, scope: 'message' });
  }
}

/**
 * Transport failures that happen before any of the request leaves: no connection, no address, no route, or a
 * certificate we refused. Only these are safe to retry on the same provider.
 */
const NEVER_SENT = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** The system error code of a transport failure: undici puts it on the cause, the Twilio client on the error. */
export function transportCode(err: unknown): string | undefined {
  const e = err as { code?: string; cause?: { code?: string } } | undefined;
  const code = e?.cause?.code ?? e?.code;
  return code === undefined ? undefined : String(code);
}

/** No usable answer to a request the provider may have received (and acted on): as a timeout, never resent there. */
export function maybeReceived(provider: ProviderName, code: string, message: string): ProviderError {
  return new ProviderError({ provider, code, message, retryable: false, scope: 'provider', ambiguous: true });
}

/**
 * Classifies transport-level failures (no usable HTTP answer) the same way for every adapter. A connection that
 * broke once it was open (reset, closed mid-reply, any error we cannot place) may have carried the whole request,
 * so it is ambiguous like a timeout: retrying the same provider would text the customer again, unflagged.
 */
export function fromTransportError(provider: ProviderName, err: unknown): ProviderError {
  if (err instanceof ProviderError) return err;
  const e = err as { name?: string; code?: string };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError' || e?.code === 'ECONNABORTED') {
    return maybeReceived(provider, 'timeout', 'provider did not answer in time; it may have accepted the message');
  }
  const code = transportCode(err) ?? 'network_error';
  if (NEVER_SENT.has(code)) return ProviderError.transient(provider, code, `could not reach provider (${code})`);
  return maybeReceived(provider, code, `connection to the provider failed mid-request (${code}); it may have accepted the message`);
}

/**
 * Maps an HTTP status without a vendor-specific body to a failure class. A 502 or 504 is a proxy in front of the
 * provider that lost its upstream mid-request (or waited it out): like our own timeout, the provider may have sent.
 */
export function fromHttpStatus(provider: ProviderName, status: number): ProviderError {
  if (status === 502 || status === 504)
    return maybeReceived(provider, `http_${status}`, `provider's gateway answered HTTP ${status}; it may have accepted the message`);
  if (status === 401 || status === 403) return ProviderError.providerDown(provider, `http_${status}`, 'provider rejected our credentials');
  if (status === 429 || status >= 500) return ProviderError.transient(provider, `http_${status}`, `provider answered HTTP ${status}`);
  return ProviderError.providerDown(provider, `http_${status}`, `provider answered HTTP ${status}`);
}
