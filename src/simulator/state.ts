/** What a simulated provider does with the next send, settable per destination number by tests and benchmarks. */
export interface Behaviour {
  latency_ms: number;
  /** `error_code` answers `error_code` in the provider's own format; `hang` never answers. */
  failure: 'none' | 'http_500' | 'hang' | 'error_code' | 'invalid_number';
  error_code?: string;
  receipt: 'delivered' | 'undelivered' | 'none';
  receipt_delay_ms: number;
  /** Every8d only: push the receipt to the account callback (false = the status is only available by polling). */
  push_receipts: boolean;
  /** Every8d only: push the receipt before answering the send, so it arrives before the send is recorded. */
  push_before_reply?: boolean;
  /** Each receipt callback sent this many times, copies out of order (a receipt storm); 1 when unset. */
  receipt_copies?: number;
  /** Every8d only: the points COST it reports, instead of one per segment (a provider's own count can differ). */
  reported_cost?: number;
  /** Every8d only: the longest subject (`SB`) the account takes; a longer one is refused with `-15`. Unlimited when unset. */
  max_subject_length?: number;
}

export interface AcceptedSend {
  /** Our client reference when the wire format carries one (Mitake clientid, Twilio callback message_id, Every8d SB). */
  ref?: string;
  phone: string;
  body: string;
  provider_message_id: string;
  at: string;
  /** Twilio only: the sender asked for, a number or a messaging service (its message list shows them). */
  from?: string;
  messaging_service_sid?: string;
}

/** Points a simulated prepaid account (Every8d, Mitake) starts with unless configured otherwise. */
export const DEFAULT_SIMULATOR_CREDIT = 1_000_000;

const DEFAULTS: Behaviour = { latency_ms: 0, failure: 'none', receipt: 'delivered', receipt_delay_ms: 200, push_receipts: true };

/** In-memory state of one simulator: behaviour (default and per phone) and every send it accepted. */
export class SimulatorState {
  private defaults: Behaviour = { ...DEFAULTS };
  private readonly perPhone = new Map<string, Partial<Behaviour>>();
  private readonly sends: AcceptedSend[] = [];

  /** The account's prepaid points, shared by every destination like a real account's. */
  private points: number;

  constructor(startingCredit = DEFAULT_SIMULATOR_CREDIT) {
    this.points = startingCredit;
  }

  get credit(): number {
    return this.points;
  }

  setCredit(points: number): void {
    this.points = points;
  }

  /** Takes `points` if the account can pay for them; false (nothing taken) when it cannot. */
  charge(points: number): boolean {
    if (points > this.points) return false;
    this.points -= points;
    return true;
  }

  /** Scoped by national phone form, so parallel tests with different numbers never see each other's settings. */
  setBehaviour(change: Partial<Behaviour>, phone?: string): void {
    if (phone) this.perPhone.set(phone, { ...this.perPhone.get(phone), ...change });
    else this.defaults = { ...this.defaults, ...change };
  }

  reset(): void {
    this.defaults = { ...DEFAULTS };
    this.perPhone.clear();
  }

  behaviourFor(phone: string): Behaviour {
    return { ...this.defaults, ...this.perPhone.get(phone) };
  }

  recordAccepted(send: AcceptedSend): void {
    this.sends.push(send);
  }

  findSends(filter: { ref?: string; phone?: string }): AcceptedSend[] {
    return this.sends.filter((s) => (!filter.ref || s.ref === filter.ref) && (!filter.phone || s.phone === filter.phone));
  }

  get totalSends(): number {
    return this.sends.length;
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Converts +8869… / 8869… to 09… so behaviour and counts are keyed the same for every provider. */
export const nationalForm = (phone: string): string => phone.replace(/^\+?886/, '0');
