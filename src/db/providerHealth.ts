import type { Collection, Db } from 'mongodb';
import type { ProviderName } from '../domain/sms';
import { ensureIndexes, type IndexPlan } from './indexes';
import { CountingWriter } from './countingWriter';
import type { ProviderGeneration } from './providerDirectory';

/** Messages and spend of one provider on one Asia/Taipei day; drives daily limits without scanning messages. */
export interface ProviderUsage {
  _id: string;
  provider: ProviderName;
  day: Date;
  messages: number;
  spend: number;
  /** Prepaid points the sends took (one per segment, or what the provider reported); absent before balances. */
  points?: number;
}

/** Circuit breaker state; in MongoDB so it survives restarts and is shared by every worker. */
export interface ProviderCircuit {
  _id: ProviderName;
  consecutive_failures: number;
  open_until?: Date;
  opened_at?: Date;
}

const usageId = (provider: ProviderName, day: Date) => `${provider}@${day.toISOString()}`;

export class ProviderHealthRepository {
  private readonly usage: Collection<ProviderUsage>;
  private readonly circuits: Collection<ProviderCircuit>;

  /** Concurrent sends of one worker would lose increments on FerretDB without a queue per document (CountingWriter). */
  private readonly usageCounts: CountingWriter<ProviderUsage>;
  private readonly failureCounts: CountingWriter<ProviderCircuit>;

  /** Each provider's latest day as this process last counted or read it (knownUsage). */
  private readonly latest = new Map<ProviderName, ProviderUsage>();

  constructor(
    db: Db,
    /** Announces circuit changes to the workers' provider directories. */
    private readonly generation: ProviderGeneration,
  ) {
    this.usage = db.collection<ProviderUsage>('provider_usage');
    this.circuits = db.collection<ProviderCircuit>('provider_circuits');
    this.usageCounts = new CountingWriter(this.usage);
    this.failureCounts = new CountingWriter(this.circuits);
  }

  async ensureIndexes(plan: IndexPlan): Promise<void> {
    // routing reads today's usage of every provider at once
    await ensureIndexes(this.usage, plan, [{ key: { day: 1, provider: 1 }, name: 'day_provider' }]);
  }

  /** Adds one accepted send (its TWD cost and the points it took); returns the day's totals after it. */
  async addSend(provider: ProviderName, day: Date, cost: number, points = 0): Promise<ProviderUsage> {
    const usage = await this.usageCounts.add(usageId(provider, day), { messages: 1, spend: cost, points }, { provider, day });
    this.remember(usage);
    return usage;
  }

  /** One provider's usage on the given days, by point reads of `_id` (days without sends are absent). */
  async usageOnDays(provider: ProviderName, days: Date[]): Promise<ProviderUsage[]> {
    const rows = await Promise.all(days.map((day) => this.usage.findOne({ _id: usageId(provider, day) })));
    return rows.filter((r): r is ProviderUsage => r !== null);
  }

  async usageOn(day: Date): Promise<Map<ProviderName, ProviderUsage>> {
    const rows = await this.usage.find({ day }).toArray();
    for (const row of rows) this.remember(row);
    return new Map(rows.map((r) => [r.provider, r]));
  }

  /**
   * The latest usage of a provider's day that this process counted or read, without a round trip: the check just
   * before a send, whose route may have been planned a little earlier (a batch page's). Other processes' sends since
   * are not in it, so the limit holds to within what they sent meanwhile, as it did when each message read usage.
   */
  knownUsage(provider: ProviderName, day: Date): ProviderUsage | undefined {
    const usage = this.latest.get(provider);
    return usage && usage.day.getTime() === day.getTime() ? usage : undefined;
  }

  private remember(usage: ProviderUsage): void {
    const known = this.latest.get(usage.provider);
    const newer = !known || known.day < usage.day || (known.day.getTime() === usage.day.getTime() && known.messages <= usage.messages);
    if (newer) this.latest.set(usage.provider, usage);
  }

  /** Counts a provider-level failure; opens the circuit at the threshold. Returns true when this call opened it. */
  async recordFailure(provider: ProviderName, threshold: number, cooldownMs: number, now = new Date()): Promise<boolean> {
    const doc = await this.failureCounts.add(provider, { consecutive_failures: 1 });
    const failures = doc.consecutive_failures ?? 1;
    if (failures < threshold) {
      await this.generation.bump(now);
      return false;
    }
    // At or past the threshold every failure (a failed probe too) keeps it open for another cool-down.
    const wasOpen = Boolean(doc?.open_until && doc.open_until > now);
    await this.circuits.updateOne({ _id: provider }, { $set: { open_until: new Date(now.getTime() + cooldownMs), opened_at: now } });
    await this.generation.bump(now);
    return !wasOpen;
  }

  /** A success closes the circuit and resets the count. Returns true when the circuit had been opened. */
  async recordSuccess(provider: ProviderName): Promise<boolean> {
    const before = await this.circuits.findOneAndUpdate(
      { _id: provider, consecutive_failures: { $gt: 0 } },
      { $set: { consecutive_failures: 0 }, $unset: { open_until: '', opened_at: '' } },
      { returnDocument: 'before' },
    );
    if (before) await this.generation.bump();
    return Boolean(before?.opened_at);
  }

  async circuitStates(): Promise<Map<ProviderName, ProviderCircuit>> {
    const rows = await this.circuits.find({}).toArray();
    return new Map(rows.map((r) => [r._id, r]));
  }
}
