import { createHash } from 'node:crypto';

/**
 * A UUID-shaped id derived from a string, for ids that must come out the same on every retry or replay
 * (Idempotency-Key → message id, campaign run → batch id). Version nibble 5, as for name-based UUIDs.
 */
export function uuidFrom(seed: string): string {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16], 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
