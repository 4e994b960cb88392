/**
 * Failure types the provider activities raise and the SMS workflow branches on: one list for both sides.
 * - MessageRejected: this number or text is refused (or opted out): no other provider will do better, stop.
 * - ProviderUnavailable: this provider cannot take it now (credentials, credit, circuit): fail over at once.
 * - ProviderTransient: worth retrying on the same provider with back-off, then failing over.
 * - QuietHours: held by quiet hours at send time (its `openAt` in the details): wait, then the same provider again.
 */
export const FAILURE = {
  messageRejected: 'MessageRejected',
  providerUnavailable: 'ProviderUnavailable',
  providerTransient: 'ProviderTransient',
  quietHours: 'QuietHours',
} as const;

export type FailureType = (typeof FAILURE)[keyof typeof FAILURE];
