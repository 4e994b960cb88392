/**
 * SMS encoding and segment counting. GSM 03.38 text packs 160 septets in one SMS or 153 per part of a
 * concatenated one (the user-data header takes the rest); anything outside GSM-7 forces UCS-2: 70 UTF-16 units in
 * one SMS, 67 per part. Characters outside the BMP (emoji) take two UTF-16 units, and neither a surrogate pair
 * nor a GSM escape sequence is ever split across parts, so counting is done by greedy packing, not division.
 */
export type SmsEncoding = 'GSM-7' | 'UCS-2';

export interface SegmentInfo {
  encoding: SmsEncoding;
  /** Septets (GSM-7) or UTF-16 code units (UCS-2) the text occupies. */
  units: number;
  segments: number;
  /** Characters as a person counts them (code points). */
  characters: number;
}

const GSM7_BASIC = '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
/** Extension table characters cost two septets (ESC + char). Form feed is included per the spec. */
const GSM7_EXTENDED = '^{}\\[~]|€\f';

const LIMITS: Record<SmsEncoding, { single: number; part: number }> = {
  'GSM-7': { single: 160, part: 153 },
  'UCS-2': { single: 70, part: 67 },
};

export function countSegments(text: string): SegmentInfo {
  const chars = Array.from(text);
  const encoding: SmsEncoding = chars.every(isGsm7) ? 'GSM-7' : 'UCS-2';
  const costs = chars.map((c) => (encoding === 'GSM-7' ? (GSM7_EXTENDED.includes(c) ? 2 : 1) : c.length));
  const units = costs.reduce((a, b) => a + b, 0);
  const { single, part } = LIMITS[encoding];
  return { encoding, units, characters: chars.length, segments: units <= single ? 1 : packParts(costs, part) };
}

function isGsm7(char: string): boolean {
  return GSM7_BASIC.includes(char) || GSM7_EXTENDED.includes(char);
}

function packParts(costs: number[], capacity: number): number {
  let parts = 1;
  let used = 0;
  for (const cost of costs) {
    if (used + cost > capacity) {
      parts += 1;
      used = 0;
    }
    used += cost;
  }
  return parts;
}
