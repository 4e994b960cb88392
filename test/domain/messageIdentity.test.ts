import { messageIdFor, messageIdForKey, messageIdForReference } from '../../src/services/messageIdentity';
import { DomainError } from '../../src/domain/errors';

describe('message identity of a send request', () => {
  it('derives the same id for the same sender and reference, another for another sender', () => {
    const first = messageIdFor({ principalId: 'key_a', reference: 'ORD-1' });
    expect(first).toEqual({ id: messageIdForReference('key_a', 'ORD-1'), repeatable: true });
    expect(messageIdFor({ principalId: 'key_a', reference: 'ORD-1' }).id).toBe(first.id);
    expect(messageIdFor({ principalId: 'key_b', reference: 'ORD-1' }).id).not.toBe(first.id);
  });

  it('never maps a reference and an Idempotency-Key with the same text to one message', () => {
    expect(messageIdForReference('key_a', 'x')).not.toBe(messageIdForKey('key_a', 'x'));
  });

  it('gives a fresh id to a request with neither', () => {
    const a = messageIdFor({ principalId: 'key_a' });
    expect(a.repeatable).toBe(false);
    expect(messageIdFor({ principalId: 'key_a' }).id).not.toBe(a.id);
  });

  it('refuses a reference together with an Idempotency-Key, naming the reference', () => {
    let error: unknown;
    try {
      messageIdFor({ principalId: 'key_a', reference: 'r', idempotencyKey: 'k' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).details?.map((d) => d.field)).toEqual(['reference']);
  });
});
