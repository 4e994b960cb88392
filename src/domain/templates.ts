/**
 * Message templates: `{placeholder}` syntax, strict rendering and deterministic weighted variant choice.
 * Pure: no I/O, so the same message id always gets the same variant (retries, replays, repeated requests).
 */
import { ownValue, type TemplateData } from './templateData';

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]{0,63})\}/g;

export interface TemplateVariant {
  id: string;
  content: string;
  weight: number;
}

/** Problems with a template text, each a sentence a template author can act on; empty when well formed. */
export function templateProblems(content: string): string[] {
  const problems: string[] = [];
  const stripped = content.replace(PLACEHOLDER, '');
  if (/[{}]/.test(stripped)) problems.push('has a brace that is not part of a {placeholder} (names: letters, digits, _; not starting with a digit)');
  return problems;
}

export function placeholdersOf(content: string): string[] {
  return [...new Set(Array.from(content.matchAll(PLACEHOLDER), (m) => m[1]))];
}

export type RenderResult = { ok: true; text: string } | { ok: false; missing: string[] };

/**
 * Fills every placeholder with its value as plain text, in one pass: a value containing `{x}` stays literal, so
 * customer data can never inject template syntax. Missing values fail; extra keys are ignored.
 */
export function renderTemplate(content: string, data: TemplateData): RenderResult {
  const missing = missingPlaceholders(placeholdersOf(content), data);
  if (missing.length) return { ok: false, missing };
  return { ok: true, text: content.replace(PLACEHOLDER, (_, name: string) => String(ownValue(data, name))) };
}

/** Placeholders with no usable value; only the data's own properties count, never inherited ones like `constructor`. */
export function missingPlaceholders(names: string[], data: TemplateData): string[] {
  return names.filter((name) => {
    const value = ownValue(data, name);
    return value === undefined || value === null || String(value).trim() === '';
  });
}

/**
 * Picks a variant by weight from a hash of the message id: stable for one message, distributed by weight
 * across many. FNV-1a with a murmur3 finaliser: cheap, no crypto, and every input bit reaches the high bits.
 */
export function chooseVariant<V extends TemplateVariant>(variants: readonly V[], messageId: string): V {
  if (variants.length === 0) throw new Error('chooseVariant needs at least one variant');
  const total = variants.reduce((sum, v) => sum + v.weight, 0);
  const point = (fnv1a(messageId) / 0x1_0000_0000) * total;
  let acc = 0;
  for (const v of variants) {
    acc += v.weight;
    if (point < acc) return v;
  }
  return variants[variants.length - 1];
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b) >>> 0;
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35) >>> 0;
  hash ^= hash >>> 16;
  return hash >>> 0;
}
