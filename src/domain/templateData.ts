import { z } from 'zod';
import { CONTROL_CHARS } from './sms';

/**
 * Values inserted into a template, for single sends, batch rows and campaign rows alike (one rule): short plain
 * text or numbers, keyed by placeholder names. The key pattern leaves no room for `$` or `.`, so a row stored as
 * given can never act as a MongoDB operator or path, and control characters never reach a provider.
 */
export const templateDataSchema = z
  .record(
    z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'keys must be placeholder names (letters, digits, _; no $ or .)'),
    z.union([
      z
        .string()
        .max(200)
        .refine((v) => !CONTROL_CHARS.test(v), 'must not contain control characters'),
      z.number(),
    ]),
  )
  .refine((d) => Object.keys(d).length <= 30, 'must have at most 30 keys');

export type TemplateData = Record<string, string | number>;

/** The value given for a placeholder, read from the data's own properties only: `{constructor}` is missing data. */
export function ownValue(data: TemplateData, name: string): string | number | undefined {
  return Object.hasOwn(data, name) ? data[name] : undefined;
}
