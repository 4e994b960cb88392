import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import type { BatchRecipient, BatchRepository, SmsBatch } from '../db/batches';
import type { SmsTemplate, TemplateRepository } from '../db/templates';
import { parseTaiwanPhone, maskPhone } from '../domain/phone';
import { CONTROL_CHARS, SMS_TASK_QUEUE, type MessageType } from '../domain/sms';
import { placeholdersOf } from '../domain/templates';
import { ApiError } from '../errors';
import { SmsBatchIdKey, SmsMessageTypeKey, SmsStatusKey } from '../temporal/searchAttributes';
import { bulkSmsWorkflow, bulkWorkflowId } from '../workflows';
import { startOrUndo } from './startOrUndo';
import { blockedByOptOut } from '../domain/optOut';
import type { OptOutLedger } from './optOuts';
import { ContentPolicyService, type TextCheck } from './contentPolicy';
import { activeTemplate, lengthProblem, renderWithTemplate } from './templateRendering';

export const MAX_RECIPIENTS = 100_000;
/** A campaign keeps its list in one document, so it stays well under MongoDB's 16 MiB. */
export const MAX_CAMPAIGN_RECIPIENTS = 20_000;

/** One row as sent; checked row by row so one bad row is reported, not fatal to the batch. */
const Recipient = z.strictObject({
  phone: z.string().max(32),
  message: z.string().trim().min(1).refine((s) => !CONTROL_CHARS.test(s), 'must not contain control characters').optional(),
  template_data: z.record(z.string().max(64), z.union([z.string().max(200), z.number()])).optional(),
});

export interface BulkRequest {
  recipients: unknown[];
  templateCode?: string;
  message?: string;
  messageType: MessageType;
  batchName: string;
  scheduledAt?: Date;
  respectQuietHours: boolean;
  principalId: string;
}

export interface Rejection {
  index: number;
  phone: string;
  reason: string;
}

/** Validates every row up front, stores the accepted ones and the batch, and starts the batch workflow. */
export class BulkIntake {
  constructor(
    private readonly batches: BatchRepository,
    private readonly templates: TemplateRepository,
    private readonly temporal: Client,
    private readonly optOuts: OptOutLedger,
    private readonly policy: ContentPolicyService,
  ) {}

  async accept(request: BulkRequest): Promise<{ batch: SmsBatch; rejected: Rejection[] }> {
    if (request.recipients.length > MAX_RECIPIENTS) throw new ApiError(413, 'payload_too_large', `A batch takes at most ${MAX_RECIPIENTS} recipients; split it`);
    const template = request.templateCode ? await activeTemplate(this.templates, request.templateCode) : null;
    const batchId = randomUUID();
    const policy = await this.policy.current();
    const checkText = (text: string) => ContentPolicyService.check(text, request.messageType === 'marketing', policy);
    const message = request.message === undefined ? undefined : acceptedOrReject(checkText(request.message), 'message');
    // Templates carry the identity themselves (checked at create/update); one from before that rule is refused here.
    if (template) for (const content of [template.content, ...template.variants.map((v) => v.content)]) acceptedOrReject(ContentPolicyService.check(content, request.messageType === 'marketing', { ...policy, missing_identity: 'reject' }), 'template_code');
    const suppressed = blockedByOptOut(request.messageType) ? await this.optOuts.suppressedAmong(phonesOf(request.recipients)) : undefined;
    const { accepted, rejected } = screen({ ...request, message }, template, batchId, suppressed, checkText);
    if (accepted.length === 0) {
      throw new ApiError(422, 'validation_failed', 'recipients: no recipient can be sent to', rejected.slice(0, 50).map((r) => ({ field: `recipients.${r.index}`, message: r.reason })));
    }
    const batch: SmsBatch = {
      _id: batchId,
      name: request.batchName,
      message_type: request.messageType,
      ...(request.templateCode ? { template_code: request.templateCode } : {}),
      ...(message ? { message } : {}),
      status: 'scheduled',
      total: accepted.length,
      rejected: rejected.length,
      respect_quiet_hours: request.respectQuietHours,
      ...(request.scheduledAt ? { scheduled_at: request.scheduledAt } : {}),
      created_by: request.principalId,
      created_at: new Date(),
    };
    await this.createAndStart(batch, accepted);
    return { batch, rejected };
  }

  /** Stores the batch and its recipients, then starts its workflow; a failed start removes both again. */
  private async createAndStart(batch: SmsBatch, recipients: ScreenedRecipient[]): Promise<void> {
    await this.batches.create(batch, recipients);
    await startOrUndo(
      () =>
        this.temporal.workflow.start(bulkSmsWorkflow, {
          taskQueue: SMS_TASK_QUEUE,
          workflowId: bulkWorkflowId(batch._id),
          args: [{ batchId: batch._id }],
          typedSearchAttributes: [
            { key: SmsBatchIdKey, value: batch._id },
            { key: SmsMessageTypeKey, value: batch.message_type },
            { key: SmsStatusKey, value: 'scheduled' },
          ],
        }),
      () => this.batches.remove(batch._id),
      'batch',
    );
  }
}

/** The rejection reason for a marketing row whose number is in the suppression ledger. */
export const OPTED_OUT = 'opted_out';

function acceptedOrReject(result: TextCheck, field: string): string {
  if (!result.ok) throw new ApiError(422, 'content_policy', `${field}: ${result.problem}`, [{ field, message: result.problem }]);
  return result.body;
}

/** The E.164 numbers of the rows that have a valid phone, for one look-up in the ledger. */
function phonesOf(rows: unknown[]): string[] {
  return rows.flatMap((raw) => {
    const parsed = parseTaiwanPhone(String((raw as { phone?: unknown })?.phone ?? ''));
    return parsed.ok ? [parsed.phone.e164] : [];
  });
}

export type ScreenedRecipient = Omit<BatchRecipient, '_id' | 'batch_id'>;

/** Splits rows into sendable recipients (numbered 0…n-1) and rejections with reasons; a number appears once. */
export function screen(request: Pick<BulkRequest, 'recipients' | 'message'>, template: SmsTemplate | null, batchId: string, suppressed?: Set<string>, checkText?: (text: string) => TextCheck) {
  const accepted: ScreenedRecipient[] = [];
  const rejected: Rejection[] = [];
  const firstIndexOf = new Map<string, number>();
  const needed = template ? placeholdersOf([template.content, ...template.variants.map((v) => v.content)].join(' ')) : [];

  request.recipients.forEach((raw, index) => {
    const reject = (reason: string) => rejected.push({ index, phone: maskPhone(String((raw as { phone?: unknown })?.phone ?? '')), reason });
    const row = Recipient.safeParse(raw);
    if (!row.success) return reject(row.error.issues.map((i) => `${i.path.join('.') || 'row'}: ${i.message}`).join('; '));
    const parsed = parseTaiwanPhone(row.data.phone);
    if (!parsed.ok) return reject(`phone ${parsed.reason}`);
    const seen = firstIndexOf.get(parsed.phone.e164);
    if (seen !== undefined) return reject(`duplicate of recipient ${seen}: sent once`);
    if (suppressed?.has(parsed.phone.e164)) return reject(OPTED_OUT);
    let ownMessage = row.data.message;
    if (ownMessage !== undefined && checkText) {
      const checked = checkText(ownMessage);
      if (!checked.ok) return reject(`message ${checked.problem}`);
      ownMessage = checked.body;
    }
    const text = ownMessage ?? request.message;
    let problem: string | undefined;
    if (text) problem = lengthProblem(text);
    else if (!template) problem = 'no message: give one per recipient, one for the batch, or a template_code';
    else {
      const missing = needed.filter((name) => row.data.template_data?.[name] === undefined || String(row.data.template_data[name]).trim() === '');
      if (missing.length) problem = `template_data missing ${missing.join(', ')}`;
      else {
        const outcome = renderWithTemplate(template, row.data.template_data ?? {}, `${batchId}-${accepted.length}`);
        problem = outcome.ok ? lengthProblem(outcome.rendered.body) : `template_data missing ${outcome.missing.join(', ')}`;
      }
    }
    if (problem) return reject(problem);
    firstIndexOf.set(parsed.phone.e164, index);
    accepted.push({ index: accepted.length, phone: parsed.phone, ...(ownMessage ? { message: ownMessage } : {}), ...(row.data.template_data ? { template_data: row.data.template_data } : {}) });
  });
  return { accepted, rejected };
}
