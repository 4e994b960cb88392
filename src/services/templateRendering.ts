import type { TemplateRepository } from '../db/templates';
import { chooseVariant, renderTemplate } from '../domain/templates';
import { ApiError } from '../errors';

export interface RenderedMessage {
  body: string;
  template_code: string;
  template_version: number;
  variant: string;
}

/** Renders an active template for one message; the variant follows from the message id, so it never changes. */
export async function renderForMessage(
  templates: TemplateRepository,
  code: string,
  data: Record<string, string | number>,
  messageId: string,
): Promise<RenderedMessage> {
  const template = await templates.getByCode(code);
  if (!template?.is_active) {
    throw new ApiError(422, 'validation_failed', `template_code: no active template "${code}"`, [{ field: 'template_code', message: 'no active template with this code' }]);
  }
  const variant = template.variants.length ? chooseVariant(template.variants, messageId) : { id: 'default', content: template.content };
  const result = renderTemplate(variant.content, data);
  if (!result.ok) {
    const details = result.missing.map((name) => ({ field: `template_data.${name}`, message: 'is required by the template' }));
    throw new ApiError(422, 'validation_failed', `template_data: missing ${result.missing.join(', ')}`, details);
  }
  return { body: result.text, template_code: template.code, template_version: template.version, variant: variant.id };
}
