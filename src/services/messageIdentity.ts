import { createHash, randomUUID } from 'node:crypto';
import { uuidFrom } from '../domain/ids';
import { DomainError } from '../domain/errors';
import type { SentBy } from '../db/messageTypes';

/**
 * Which message a send request is. A repeat must find the earlier message with one read by `_id` (the one query
 * FerretDB answers without scanning), so the id is derived from who sent it and their key or reference; no index
 * or lookup document is needed, and two racing repeats meet at the same `_id`.
 */
export interface RequestIdentity {
  /** Who asked; keys and references are scoped to them. */
  principalId: string;
  idempotencyKey?: string;
  reference?: string;
}

/** Who sent a message, from a principal id alone: API key ids, `jwt:<sub>` users, `campaign:<id>` runs. */
export function senderOf(principalId: string): SentBy {
  if (principalId.startsWith('jwt:')) return { kind: 'user', id: principalId, name: principalId.slice(4) };
  if (principalId.startsWith('campaign:')) return { kind: 'campaign', id: principalId };
  return { kind: 'api_key', id: principalId };
}

/** The message id for an Idempotency-Key: the same principal and key always map to the same message. */
export function messageIdForKey(principalId: string, key: string): string {
  return uuidFrom(`${principalId}\u0000${key}`);
}

/** The message id for a caller's reference; another namespace than keys, so a key never meets a reference. */
export function messageIdForReference(principalId: string, reference: string): string {
  return uuidFrom(`${principalId}\u0000reference\u0000${reference}`);
}

/** The campaign id for a create's Idempotency-Key; a namespace of its own, as batches have. */
export function campaignIdForKey(principalId: string, key: string): string {
  return uuidFrom(`${principalId}\u0000campaign\u0000${key}`);
}

/** A keyed request repeated with another body: the key names another request, so nothing is answered from it. */
export const keyReused = (): DomainError =>
  new DomainError('conflict', 'idempotency_key_reused', 'This Idempotency-Key was already used for a different request');

/** What a repeat of a keyed request must match: a digest of the fields that make it that request, in a fixed order. */
export function requestFingerprint(fields: unknown[]): string {
  return createHash('sha256').update(JSON.stringify(fields)).digest('hex');
}

/** The batch id for a bulk request's Idempotency-Key; another namespace than messages, so the two never meet. */
export function batchIdForKey(principalId: string, key: string): string {
  return uuidFrom(`${principalId}\u0000batch\u0000${key}`);
}

/** The id a request's message has (or gets), and whether a stored message with it answers a repeat. */
export function messageIdFor(r: RequestIdentity): { id: string; repeatable: boolean } {
  if (r.reference !== undefined && r.idempotencyKey !== undefined) {
    // Both would name the message, and could disagree: one rule, said plainly.
    throw new DomainError(
      'invalid',
      'validation_failed',
      'reference: send either a reference or an Idempotency-Key header, not both (a reference already makes a repeat return the same message)',
      [{ field: 'reference', message: 'send either a reference or an Idempotency-Key header, not both' }],
    );
  }
  if (r.reference !== undefined) return { id: messageIdForReference(r.principalId, r.reference), repeatable: true };
  if (r.idempotencyKey !== undefined) return { id: messageIdForKey(r.principalId, r.idempotencyKey), repeatable: true };
  return { id: randomUUID(), repeatable: false };
}
