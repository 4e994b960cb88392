import type { AuditRepository } from '../db/audit';
import type { OptOut, OptOutRepository } from '../db/optOuts';
import type { TaiwanPhone } from '../domain/phone';
import type { OptOutSource } from '../domain/optOut';

/** The suppression ledger with its audit trail: every addition and removal, by anyone, is written to audit_log. */
export class OptOutLedger {
  constructor(
    private readonly optOuts: OptOutRepository,
    private readonly audit: AuditRepository,
  ) {}

  /** Suppresses the number; true when it was new. Repeats (a second STOP) change nothing and are not audited. */
  async add(
    phone: TaiwanPhone,
    entry: { source: OptOutSource; actor: string; provider?: string; reason?: string },
  ): Promise<{ added: boolean; optOut: OptOut }> {
    const optOut: OptOut = {
      _id: phone.e164,
      phone_masked: phone.masked,
      source: entry.source,
      ...(entry.provider ? { provider: entry.provider } : {}),
      ...(entry.reason ? { reason: entry.reason } : {}),
      created_by: entry.actor,
      created_at: new Date(),
    };
    const added = await this.optOuts.addIfAbsent(optOut);
    if (!added) return { added, optOut: (await this.optOuts.get(phone.e164)) ?? optOut };
    await this.audit.record({ actor: entry.actor, action: 'opt_out.added', target: { type: 'opt_out', id: phone.masked }, after: auditView(optOut) });
    return { added, optOut };
  }

  async remove(phone: TaiwanPhone, actor: string): Promise<OptOut | null> {
    const removed = await this.optOuts.remove(phone.e164);
    if (removed) await this.audit.record({ actor, action: 'opt_out.removed', target: { type: 'opt_out', id: phone.masked }, before: auditView(removed) });
    return removed;
  }

  isSuppressed(e164: string): Promise<boolean> {
    return this.optOuts.get(e164).then(Boolean);
  }

  suppressedAmong(e164s: string[]): Promise<Set<string>> {
    return this.optOuts.suppressedAmong(e164s);
  }
}

/** Audit entries name the number masked, like every log line. */
function auditView(o: OptOut) {
  const { _id: _phone, ...rest } = o;
  return rest;
}
