import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { BatchAlreadyStored, type BatchRecipient, type BatchRepository, type SmsBatch } from '../db/batches';
import type { MessageCallback } from '../db/messages';
import { inBulkLane } from '../db/lanes';
import type { SmsTemplate, TemplateRepository } from '../db/templates';
import { parseTaiwanPhone, maskPhone } from '../domain/phone';
import { countedAt } from '../domain/phoneBudget';
import { CONTROL_CHARS, type MessageType } from '../domain/sms';
import { TemporalOutbox } from '../db/temporalOutbox';
import { metrics } from '../metrics';
import type { BoundedTemporal } from '../temporal/boundedCalls';
import { startBatchWorkflow } from '../temporal/starts';
import { templateDataSchema } from '../domain/templateData';
import { missingPlaceholders, placeholdersOf } from '../domain/templates';
import { DomainError } from '../domain/errors';
import type { PhoneBudget } from './phoneBudget';
import { blockedByOptOut } from '../domain/optOut';
import type { OptOutLedger } from './optOuts';
import { ContentPolicyService, type TextCheck } from './contentPolicy';
import { batchIdForKey, keyReused, requestFingerprint } from './messageIdentity';
import { activeTemplate, lengthProblem, renderWithTemplate } from './templateRendering';

export const MAX_RECIPIENTS = 100_000;
/** A campaign keeps its list in one document, so it stays well under MongoDB's 16 MiB. */
export const MAX_CAMPAIGN_RECIPIENTS = 20_000;
/** Rejected rows reported in full; past this only their count, so a bad upload cannot make a huge answer. */
export const MAX_REPORTED_REJECTIONS = 1_000;

/** One row as sent; checked row by row so one bad row is reported, not fatal to the batch. */
const Recipient = z.strictObject({
  phone: z.string().max(32),
  message: z
    .string()
    .trim()
    .min(1)
    .refine((s) => !CONTROL_CHARS.test(s), 'must not contain control characters')
    .optional(),
  template_data: templateDataSchema.optional(),
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
  /** Where each message's status changes are POSTed (services/statusCallbacks.ts). */
  callback?: MessageCallback;
  /** A repeat with the same key (and body) answers with the batch the first stored, and sends nothing again. */
  idempotencyKey?: string;
}

export interface BulkAccepted {
  batch: SmsBatch;
  /** The rejected rows, or for a repeat the ones the first request stored (at most MAX_REPORTED_REJECTIONS). */
  rejected: Rejection[];
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
    private readonly temporal: BoundedTemporal,
    private readonly outbox: TemporalOutbox,
    private readonly budget: PhoneBudget,
    private readonly optOuts: OptOutLedger,
    private readonly policy: ContentPolicyService,
  ) {}

  /** In the bulk database lane (db/lanes.ts): storing ten thousand recipients must not hold up an order notice. */
  accept(request: BulkRequest): Promise<BulkAccepted> {
    return inBulkLane(() => this.store(request));
  }

  private async store(request: BulkRequest): Promise<BulkAccepted> {
    if (request.recipients.length > MAX_RECIPIENTS)
      throw new DomainError('too_large', 'payload_too_large', `A batch takes at most ${MAX_RECIPIENTS} recipients; split it`);
    const key = request.idempotencyKey;
    const batchId = key === undefined ? randomUUID() : batchIdForKey(request.principalId, key);
    const fingerprint = key === undefined ? undefined : fingerprintOf(request);
    if (fingerprint) {
      const earlier = await this.batches.get(batchId);
      if (earlier) return replay(earlier, fingerprint);
      // Claimed before any number's budget is taken: a repeat, even one at the very same moment, meets the claim and
      // is told to wait. Taking budget first, it would refuse rows this request is about to send, or all of them (a
      // 422 for a batch that is in fact going out).
      if (!(await this.claim(batchId))) return this.repeatOf(batchId, fingerprint);
    }
    try {
      return await this.admitAndStore(request, batchId, fingerprint);
    } catch (err) {
      if (err instanceof KeyInUse) return this.repeatOf(batchId, fingerprint!);
      // Nothing was stored: the claim goes (it would otherwise hold the key until the relay drops it as an orphan).
      if (fingerprint) await this.outbox.remove(TemporalOutbox.startBatchId(batchId)).catch(() => undefined);
      throw err;
    }
  }

  /**
   * A keyed request's hold on its batch id while it stores: the start entry, added only if none is there. False
   * when another request holds it, or finished storing (and let go of its entry) since this one looked.
   */
  private async claim(batchId: string): Promise<boolean> {
    const entryId = TemporalOutbox.startBatchId(batchId);
    if (!(await this.outbox.claim({ _id: entryId, kind: 'start_batch', batch_id: batchId, queued_at: new Date() }))) return false;
    if (!(await this.batches.get(batchId))) return true;
    await this.outbox.remove(entryId).catch(() => undefined); // left, it would only start that batch once more
    return false;
  }

  /** A repeat of a keyed request that another one holds: its stored batch, or "still being stored". */
  private async repeatOf(batchId: string, fingerprint: string): Promise<BulkAccepted> {
    const earlier = await this.batches.get(batchId);
    if (earlier) return replay(earlier, fingerprint);
    throw keyInProgress();
  }

  private async admitAndStore(request: BulkRequest, batchId: string, fingerprint: string | undefined): Promise<BulkAccepted> {
    const template = request.templateCode ? await activeTemplate(this.templates, request.templateCode) : null;
    const { message, checkText } = await checkBatchContent(this.policy, request, template);
    const suppressed = blockedByOptOut(request.messageType) ? await this.optOuts.suppressedAmong(phonesOf(request.recipients)) : undefined;
    // A scheduled batch counts in the hour it is due (a quiet-hours hold starts it later still; not counted here).
    const budgetAt = countedAt(request.scheduledAt);
    const { accepted, rejected } = await admitWithinBudget(
      this.budget,
      screen({ ...request, message }, template, batchId, suppressed, checkText),
      request.messageType,
      budgetAt,
    );
    if (accepted.length === 0) {
      throw new DomainError(
        'invalid',
        'validation_failed',
        'recipients: no recipient can be sent to',
        rejected.slice(0, 50).map((r) => ({ field: `recipients.${r.index}`, message: r.reason })),
      );
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
      ...(request.callback ? { callback: request.callback } : {}),
      // A repeat answers with these rows, as the first answer listed them.
      ...(fingerprint ? { idempotency_fingerprint: fingerprint, rejections: rejected.slice(0, MAX_REPORTED_REJECTIONS) } : {}),
      created_by: request.principalId,
      created_at: new Date(),
    };
    try {
      await this.createAndStart(batch, accepted, fingerprint !== undefined);
    } catch (err) {
      // Nothing was stored, so nothing will be sent: the numbers get their budget back.
      await this.budget.giveBack(
        accepted.map((r) => r.phone.e164),
        request.messageType,
        budgetAt,
      );
      throw err;
    }
    return { batch, rejected };
  }

  /**
   * An outbox entry, the recipients and the batch, then the start. A start that does not succeed in a bounded time
   * is left to the outbox relay: the batch is accepted either way. A keyed request (`claimed`) already wrote the
   * entry as its claim (see claim()).
   */
  private async createAndStart(batch: SmsBatch, recipients: ScreenedRecipient[], claimed: boolean): Promise<void> {
    const entryId = TemporalOutbox.startBatchId(batch._id);
    const entry = () => ({ _id: entryId, kind: 'start_batch' as const, batch_id: batch._id, queued_at: new Date() });
    // The entry is kept fresh, so the relay does not drop it as an orphan while the store is still writing: a keyed
    // one now (admitting a hundred thousand numbers takes a while), and every one after each group of recipients.
    // Written whole, so one the relay dropped meanwhile is back before the batch is stored, and a failed start is
    // still relayed.
    const refreshEntry = () => this.outbox.put(entry());
    if (claimed) await refreshEntry();
    else await this.outbox.add(entry());
    try {
      await this.batches.create(batch, recipients, refreshEntry);
    } catch (err) {
      // Another request stored this batch (its entry is its own, still to start it): this one answers with it.
      if (claimed && err instanceof BatchAlreadyStored) throw new KeyInUse();
      await this.outbox.remove(entryId).catch(() => undefined); // create() removed what it wrote; the entry goes too
      throw err;
    }
    const started = await this.temporal.call((client) => startBatchWorkflow(client, batch));
    // A failed removal only costs the relay one repeated (harmless) start; the caller still gets its 202.
    if (started.ok) await this.outbox.remove(entryId).catch(() => undefined);
    else metrics().startsDeferred.inc({ kind: 'batch' });
  }
}

/** The answer's share of the rejections: the first MAX_REPORTED_REJECTIONS rows, and how many there were. */
export function reportRejections(rejected: Rejection[], count = rejected.length) {
  const shown = rejected.slice(0, MAX_REPORTED_REJECTIONS);
  return { rejected: shown, rejected_count: count, rejected_omitted: count - shown.length };
}

const keyInProgress = () =>
  new DomainError('conflict', 'idempotency_key_in_progress', 'A request with this Idempotency-Key is still being stored; retry shortly');

/** Another request holds (or has just used) this Idempotency-Key's batch id. */
class KeyInUse extends Error {}

/** A repeated key: the stored batch if the body is the same, a conflict if the key was used for another request. */
function replay(earlier: SmsBatch, fingerprint: string): BulkAccepted {
  if (earlier.idempotency_fingerprint !== fingerprint) throw keyReused();
  return { batch: earlier, rejected: earlier.rejections ?? [] };
}

/** The request as a repeat must match it, recipients included. */
function fingerprintOf(r: BulkRequest): string {
  return requestFingerprint([
    r.recipients,
    r.templateCode ?? null,
    r.message ?? null,
    r.messageType,
    r.batchName,
    r.scheduledAt?.getTime() ?? null,
    r.respectQuietHours,
    r.callback?.url ?? null,
  ]);
}

/** The rejection reason for a marketing row whose number is in the suppression ledger. */
export const OPTED_OUT = 'opted_out';

/**
 * The content policy for a list of recipients (a batch, a campaign): the shared `message` checked (422 naming it,
 * or with the identity prepended), a template from before the identity rule refused, and `checkText` for the
 * rows' own messages, which `screen` rejects row by row.
 */
export async function checkBatchContent(
  policy: ContentPolicyService,
  request: { message?: string; messageType: MessageType },
  template: SmsTemplate | null,
): Promise<{ message?: string; checkText: (text: string) => TextCheck }> {
  const current = await policy.current();
  const marketing = request.messageType === 'marketing';
  const checkText = (text: string) => ContentPolicyService.check(text, marketing, current);
  const message = request.message === undefined ? undefined : acceptedOrReject(checkText(request.message), 'message');
  // Templates carry the identity themselves (checked at create/update); one from before that rule is refused here.
  if (template)
    for (const content of [template.content, ...template.variants.map((v) => v.content)])
      acceptedOrReject(ContentPolicyService.check(content, marketing, { ...current, missing_identity: 'reject' }), 'template_code');
  return { message, checkText };
}

function acceptedOrReject(result: TextCheck, field: string): string {
  if (!result.ok) throw new DomainError('invalid', 'content_policy', `${field}: ${result.problem}`, [{ field, message: result.problem }]);
  return result.body;
}

/** A row's `phone` as given, if it is text: any other value (an object, even one with its own toString) is no number. */
function phoneText(raw: unknown): string {
  const phone = (raw as { phone?: unknown } | null)?.phone;
  return typeof phone === 'string' ? phone : '';
}

/** The E.164 numbers of the rows that have a valid phone, for one look-up in the ledger. */
function phonesOf(rows: unknown[]): string[] {
  return rows.flatMap((raw) => {
    const parsed = parseTaiwanPhone(phoneText(raw));
    return parsed.ok ? [parsed.phone.e164] : [];
  });
}

export type ScreenedRecipient = Omit<BatchRecipient, '_id' | 'batch_id'>;

export interface Screened {
  accepted: ScreenedRecipient[];
  rejected: Rejection[];
  /** The request row each accepted recipient came from. */
  rowOf: number[];
}

/**
 * Counts every accepted number against its per-number budget (the same one single sends use); a number over it
 * becomes a rejected row with the reason, and the rest are numbered 0…n-1 again. Nothing is failed whole.
 */
export async function admitWithinBudget(budget: PhoneBudget, screened: Screened, messageType: MessageType, at: Date): Promise<Screened> {
  const refused = await budget.admit(
    screened.accepted.map((r) => r.phone.e164),
    messageType,
    at,
  );
  if (refused.size === 0) return screened;
  const result: Screened = { accepted: [], rejected: [...screened.rejected], rowOf: [] };
  screened.accepted.forEach((r, i) => {
    const over = refused.get(r.phone.e164);
    if (over) return result.rejected.push({ index: screened.rowOf[i], phone: r.phone.masked, reason: over.reason });
    result.rowOf.push(screened.rowOf[i]);
    result.accepted.push({ ...r, index: result.accepted.length });
  });
  result.rejected.sort((a, b) => a.index - b.index);
  return result;
}

/** Splits rows into sendable recipients (numbered 0…n-1) and rejections with reasons; a number appears once. */
export function screen(
  request: Pick<BulkRequest, 'recipients' | 'message'>,
  template: SmsTemplate | null,
  batchId: string,
  suppressed?: Set<string>,
  checkText?: (text: string) => TextCheck,
): Screened {
  const accepted: ScreenedRecipient[] = [];
  const rejected: Rejection[] = [];
  const rowOf: number[] = [];
  const firstIndexOf = new Map<string, number>();
  const needed = template ? placeholdersOf([template.content, ...template.variants.map((v) => v.content)].join(' ')) : [];

  request.recipients.forEach((raw, index) => {
    const reject = (reason: string) => rejected.push({ index, phone: maskPhone(phoneText(raw)), reason });
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
      const missing = missingPlaceholders(needed, row.data.template_data ?? {});
      if (missing.length) problem = `template_data missing ${missing.join(', ')}`;
      else {
        const outcome = renderWithTemplate(template, row.data.template_data ?? {}, `${batchId}-${accepted.length}`);
        // The values are the sender's text too: a link in one meets the policy as a link in a message would.
        const checked = outcome.ok ? checkText?.(outcome.rendered.body) : undefined;
        if (!outcome.ok) problem = `template_data missing ${outcome.missing.join(', ')}`;
        else if (checked && !checked.ok) problem = `template_data gives a text that ${checked.problem}`;
        else problem = lengthProblem(outcome.rendered.body);
      }
    }
    if (problem) return reject(problem);
    firstIndexOf.set(parsed.phone.e164, index);
    rowOf.push(index);
    accepted.push({
      index: accepted.length,
      phone: parsed.phone,
      ...(ownMessage ? { message: ownMessage } : {}),
      ...(row.data.template_data ? { template_data: row.data.template_data } : {}),
    });
  });
  return { accepted, rejected, rowOf };
}
