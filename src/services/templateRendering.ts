import type { NewMessage } from '../db/messages';
import type { SmsTemplate, TemplateRepository } from '../db/templates';
import type { TaiwanPhone } from '../domain/phone';
import { countSegments } from '../domain/segments';
import { MAX_MESSAGE_CHARS, type MessageType, type ProviderName } from '../domain/sms';
import { chooseVariant, renderTemplate } from '../domain/templates';
import { DomainError } from '../domain/errors';

export interface RenderedMessage {
  body: string;
  template_code?: string;
  template_version?: number;
  variant?: string;
}

export type RenderOutcome = { ok: true; rendered: RenderedMessage } | { ok: false; missing: string[] };

/** Renders a loaded template for one message; the variant follows from the message id, so it never changes. */
export function renderWithTemplate(template: SmsTemplate, data: Record<string, string | number>, messageId: string): RenderOutcome {
  const variant = template.variants.length ? chooseVariant(template.variants, messageId) : { id: 'default', content: template.content };
  const result = renderTemplate(variant.content, data);
  if (!result.ok) return result;
  return { ok: true, rendered: { body: result.text, template_code: template.code, template_version: template.version, variant: variant.id } };
}

/** Looks up an active template and renders it, answering 422 naming what is missing. */
export async function renderForMessage(
  templates: TemplateRepository,
  code: string,
  data: Record<string, string | number>,
  messageId: string,
): Promise<RenderedMessage> {
  const template = await activeTemplate(templates, code);
  const outcome = renderWithTemplate(template, data, messageId);
  if (!outcome.ok) {
    const details = outcome.missing.map((name) => ({ field: `template_data.${name}`, message: 'is required by the template' }));
    throw new DomainError('invalid', 'validation_failed', `template_data: missing ${outcome.missing.join(', ')}`, details);
  }
  return outcome.rendered;
}

export async function activeTemplate(templates: TemplateRepository, code: string): Promise<SmsTemplate> {
  const template = await templates.getByCode(code);
  if (!template?.is_active) {
    throw new DomainError('invalid', 'validation_failed', `template_code: no active template "${code}"`, [
      { field: 'template_code', message: 'no active template with this code' },
    ]);
  }
  return template;
}

/** A reason the rendered text cannot be sent, or undefined. */
export function lengthProblem(body: string): string | undefined {
  const length = Array.from(body).length;
  return length > MAX_MESSAGE_CHARS ? `the rendered text has ${length} characters; at most ${MAX_MESSAGE_CHARS}` : undefined;
}

/** The stored form of a message about to be sent, from its parts. */
export function composeMessage(parts: {
  id: string;
  phone: TaiwanPhone;
  rendered: RenderedMessage;
  messageType: MessageType;
  metadata: Record<string, unknown>;
  batchId?: string;
  forcedProvider?: ProviderName;
  fingerprint?: string;
}): NewMessage {
  const segments = countSegments(parts.rendered.body);
  return {
    _id: parts.id,
    phone_e164: parts.phone.e164,
    phone_national: parts.phone.national,
    phone_masked: parts.phone.masked,
    phone_kind: parts.phone.kind,
    ...parts.rendered,
    message_type: parts.messageType,
    metadata: parts.metadata,
    encoding: segments.encoding,
    segments: segments.segments,
    units: segments.units,
    ...(parts.batchId ? { batch_id: parts.batchId } : {}),
    ...(parts.forcedProvider ? { forced_provider: parts.forcedProvider } : {}),
    ...(parts.fingerprint ? { idempotency_fingerprint: parts.fingerprint } : {}),
  };
}
