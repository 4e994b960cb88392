import type { SettingsRepository } from '../db/settings';
import { prependedWarning, unregisteredProblem, withSenderIdentity, type ContentPolicy } from '../domain/contentPolicy';
import { DomainError } from '../domain/errors';

export type TextCheck = { ok: true; body: string; warnings: string[] } | { ok: false; problem: string };

/** The content policy in force (operator-editable, read per request) and the checks every outgoing text passes. */
export class ContentPolicyService {
  constructor(
    private readonly settings: SettingsRepository,
    private readonly fallback: ContentPolicy,
  ) {}

  current(): Promise<ContentPolicy> {
    return this.settings.contentPolicy(this.fallback);
  }

  /** Sender identity for every text; registered links and call-back numbers for marketing. */
  static check(body: string, marketing: boolean, policy: ContentPolicy): TextCheck {
    const identity = withSenderIdentity(body, policy);
    if (!identity.ok) return identity;
    const unregistered = marketing ? unregisteredProblem(identity.body, policy) : undefined;
    if (unregistered) return { ok: false, problem: unregistered };
    return { ok: true, body: identity.body, warnings: identity.prepended ? [prependedWarning(policy.sender_identity)] : [] };
  }

  /** The same check answering 422 naming `field`. */
  async checkOrReject(body: string, marketing: boolean, field: string): Promise<{ body: string; warnings: string[] }> {
    const result = ContentPolicyService.check(body, marketing, await this.current());
    if (!result.ok) throw new DomainError('invalid', 'content_policy', `${field}: ${result.problem}`, [{ field, message: result.problem }]);
    return result;
  }
}
