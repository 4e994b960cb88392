/**
 * Taiwan phone numbers. Every8d and Mitake want the national form (0912345678), Twilio wants E.164
 * (+886912345678); we keep both and a masked form for logs. Pure: no I/O.
 */
export type PhoneKind = 'mobile' | 'landline';

export interface TaiwanPhone {
  e164: string;
  national: string;
  masked: string;
  kind: PhoneKind;
}

export type PhoneParseResult = { ok: true; phone: TaiwanPhone } | { ok: false; reason: string };

const MOBILE = /^09\d{8}$/;
/**
 * Landlines by area code (national form): 02 + 8 digits; 03/05/06/07/08 + 7; 037, 082, 089 + 6; 04 + 7 or 8;
 * 049 + 7; 0826 and 0836 (Wuqiu, Matsu) + 5. Longer area codes are listed first so they win the match.
 */
const LANDLINE = /^(?:0826\d{5}|0836\d{5}|037\d{6}|049\d{7}|082\d{6}|089\d{6}|02\d{8}|04\d{7,8}|0[35678]\d{7})$/;
const SEPARATORS = /[\s\-().]/g;

export function parseTaiwanPhone(input: string): PhoneParseResult {
  const compact = input.trim().replace(SEPARATORS, '');
  if (!/^\+?\d+$/.test(compact)) return { ok: false, reason: 'must contain only digits, spaces, dashes and a leading +' };
  const national = toNational(compact);
  if (national === undefined) return { ok: false, reason: 'must be a Taiwan number (09xxxxxxxx, +8869xxxxxxxx or a landline)' };
  const kind: PhoneKind | undefined = MOBILE.test(national) ? 'mobile' : LANDLINE.test(national) ? 'landline' : undefined;
  if (!kind) return { ok: false, reason: 'is not a valid Taiwan mobile (09xxxxxxxx) or landline number' };
  return { ok: true, phone: { e164: `+886${national.slice(1)}`, national, masked: maskNational(national), kind } };
}

/** Maps +886…, 00886… and 886… to the national 0… form; "+886 0912…" (a common slip) is tolerated. */
function toNational(compact: string): string | undefined {
  const international = /^(?:\+|00)?886(\d+)$/.exec(compact);
  if (international) return `0${international[1].replace(/^0/, '')}`;
  if (compact.startsWith('+')) return undefined; // another country's code
  return compact.startsWith('0') ? compact : undefined;
}

/** 0912345678 → 0912***678: enough to recognise a customer in a log, not enough to text them. */
export function maskNational(national: string): string {
  return `${national.slice(0, 4)}***${national.slice(-3)}`;
}

/** Masks any phone-like string for log lines, whatever its format. */
export function maskPhone(input: string): string {
  const parsed = parseTaiwanPhone(input);
  if (parsed.ok) return parsed.phone.masked;
  const digits = input.replace(/\D/g, '');
  return digits.length > 6 ? `${digits.slice(0, 3)}***${digits.slice(-2)}` : '***';
}
