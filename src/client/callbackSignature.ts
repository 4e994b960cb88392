import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Status callbacks are signed like this (the gateway signs with this very code, so the format lives in one place):
 *   X-LuckyGas-Timestamp: <unix seconds>
 *   X-LuckyGas-Signature: v1=<hex HMAC-SHA256 of "<timestamp>.<raw body>" keyed by the API key's callback secret>
 * The timestamp is signed with the body, so a captured callback cannot be replayed later with a fresh timestamp.
 */
export const TIMESTAMP_HEADER = 'X-LuckyGas-Timestamp';
export const SIGNATURE_HEADER = 'X-LuckyGas-Signature';

export function signCallback(secret: string, timestamp: string | number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex')}`;
}

/**
 * True when `signatureHeader` carries a valid v1 signature of `body` (the raw bytes as received, before any JSON
 * parsing) and `timestamp` is within `toleranceSeconds` of now. Accepts a comma-separated list of signatures, so a
 * receiver keeps working if several are ever sent (e.g. during a secret rotation). Compared in constant time.
 */
export function verifyCallbackSignature(
  secret: string,
  timestamp: string | null | undefined,
  body: string,
  signatureHeader: string | null | undefined,
  toleranceSeconds = 300,
  nowSeconds = Math.floor(Date.now() / 1000),
): boolean {
  if (!secret || !timestamp || !signatureHeader || !/^\d{1,12}$/.test(timestamp)) return false;
  if (Math.abs(nowSeconds - Number(timestamp)) > toleranceSeconds) return false;
  const expected = Buffer.from(signCallback(secret, timestamp, body), 'utf8');
  return signatureHeader
    .split(',')
    .map((s) => Buffer.from(s.trim(), 'utf8'))
    .some((given) => given.length === expected.length && timingSafeEqual(given, expected));
}
