/**
 * Opt-outs (退訂): a customer's reply that asks to stop marketing. Pure, so webhooks and tests share one rule.
 * Chinese keywords count anywhere in the reply (`我要退訂`); Latin ones only as whole words, so `TD` matches
 * `td` or `TD 謝謝` but not `STD` or `STOPPED`.
 */
const CHINESE_KEYWORDS = ['退訂', '取消'];
const LATIN_KEYWORDS = /(?<![A-Za-z])(TD|STOP)(?![A-Za-z])/i;

export function isOptOutReply(text: string): boolean {
  const normalised = text.normalize('NFKC'); // full-width ＳＴＯＰ / ＴＤ from Chinese keyboards count too
  return CHINESE_KEYWORDS.some((k) => normalised.includes(k)) || LATIN_KEYWORDS.test(normalised);
}

/** Only marketing is withheld from an opted-out number: order, delivery and payment notices still go. */
export const blockedByOptOut = (messageType: string): boolean => messageType === 'marketing';

export const OPT_OUT_SOURCES = ['admin', 'inbound_reply', 'provider'] as const;
export type OptOutSource = (typeof OPT_OUT_SOURCES)[number];
