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

/** Classifies transport-level failures (no usable HTTP answer) the same way for every adapter. */
export function fromTransportError(provider: ProviderName, err: unknown): ProviderError {
  if (err instanceof ProviderError) return err;
  const e = err as { name?: string; code?: string; cause?: { code?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError' || e?.code === 'ECONNABORTED') {
    return new ProviderError({
      provider,
      code: 'timeout',
      message: 'provider did not answer in time; it may have accepted the message',
      retryable: false,
      scope: 'provider',
      ambiguous: true,
    });
  }
  const code = e?.code ?? e?.cause?.code ?? 'network_error';
  // Refused/unresolvable connections never reached the provider, so a retry cannot double-send.
  return ProviderError.transient(provider, String(code), `could not reach provider (${code})`);
}

/** Maps an HTTP status without a vendor-specific body to a failure class. */
export function fromHttpStatus(provider: ProviderName, status: number): ProviderError {
  if (status === 401 || status === 403) return ProviderError.providerDown(provider, `http_${status}`, 'provider rejected our credentials');
  if (status === 429 || status >= 500) return ProviderError.transient(provider, `http_${status}`, `provider answered HTTP ${status}`);
  return ProviderError.providerDown(provider, `http_${status}`, `provider answered HTTP ${status}`);
}
