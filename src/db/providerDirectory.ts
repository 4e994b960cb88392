import { randomUUID } from 'node:crypto';
import type { Collection, Db } from 'mongodb';
import type { RoutableProvider } from '../domain/routing';
import type { ProviderName } from '../domain/sms';
import { FreshRead } from './freshRead';
import type { ProviderCircuit, ProviderHealthRepository, ProviderUsage } from './providerHealth';
import type { ProviderConfig, ProviderRepository, ProviderRow } from './providers';

/** Providers as routing and the send activities see them: settings, decrypted credentials, circuit states. */
export interface ProviderSnapshot {
  rows: ProviderRow[];
  configs: Map<ProviderName, ProviderConfig>;
  circuits: Map<ProviderName, ProviderCircuit>;
}

interface GenerationDoc {
  _id: 'providers';
  stamp: string;
  changed_at: Date;
}

/**
 * Marks a change of any provider row or circuit, in one small document: readers keep what they loaded until its
 * stamp changes. Written *after* the change it announces, so a reader that sees the new stamp also sees the change.
 * A fresh random stamp (not a counter) because FerretDB updates are not atomic: two bumps at once still change it.
 */
export class ProviderGeneration {
  readonly col: Collection<GenerationDoc>;

  constructor(db: Db) {
    this.col = db.collection<GenerationDoc>('sms_provider_generation');
  }

  async bump(now = new Date()): Promise<void> {
    await this.col.replaceOne({ _id: 'providers' }, { stamp: randomUUID(), changed_at: now }, { upsert: true });
  }

  async current(): Promise<string> {
    return (await this.col.findOne({ _id: 'providers' }))?.stamp ?? 'none';
  }
}

/**
 * The worker's view of providers. Every message used to read the provider rows, circuits and usage four to six
 * times (route plan, send, health check, daily count), three of them collection scans on FerretDB. Now a message
 * costs one point read of the generation stamp, shared by every caller asking at the same moment, and the rows and
 * circuits are read again only when the stamp changed. Freshness is as before: an answer never predates the call.
 */
export class ProviderDirectory {
  private cached?: { stamp: string; snapshot: ProviderSnapshot };

  private loading?: { stamp: string; snapshot: Promise<ProviderSnapshot> };

  private readonly stamp: FreshRead<string>;

  private readonly usage = new Map<number, FreshRead<Map<ProviderName, ProviderUsage>>>();

  constructor(
    private readonly providers: ProviderRepository,
    private readonly health: ProviderHealthRepository,
    generation: ProviderGeneration,
  ) {
    this.stamp = new FreshRead(() => generation.current());
  }

  /** The providers as of this call, or with `notBefore` (epoch ms) as of no earlier than then (see FreshRead). */
  async snapshot(notBefore?: number): Promise<ProviderSnapshot> {
    const stamp = await this.stamp.get(notBefore);
    if (this.cached?.stamp !== stamp) {
      // Loaded once per stamp however many callers found it new; read after the stamp, so never older than it.
      if (this.loading?.stamp !== stamp) this.loading = { stamp, snapshot: this.load() };
      const loading = this.loading;
      const snapshot = await loading.snapshot.finally(() => {
        if (this.loading === loading) this.loading = undefined;
      });
      this.cached = { stamp, snapshot };
    }
    return this.cached.snapshot;
  }

  private async load(): Promise<ProviderSnapshot> {
    const [rows, circuits] = await Promise.all([this.providers.list(), this.health.circuitStates()]);
    return { rows, configs: new Map(rows.map((row) => [row._id, this.providers.configOf(row)])), circuits };
  }

  async config(name: ProviderName, notBefore?: number): Promise<ProviderConfig | undefined> {
    return (await this.snapshot(notBefore)).configs.get(name);
  }

  /** Today's usage of every provider, read by every caller asking at the same moment in one read. */
  usageOn(day: Date): Promise<Map<ProviderName, ProviderUsage>> {
    const key = day.getTime();
    let read = this.usage.get(key);
    if (!read) {
      this.usage.clear(); // a new day: yesterday's reader is done
      read = new FreshRead(() => this.health.usageOn(day));
      this.usage.set(key, read);
    }
    return read.get();
  }
}

/** A provider as routing weighs it: its settings, what it sent and spent today, its circuit, its prepaid points. */
export function routableProvider(row: ProviderRow, usage: ProviderUsage | undefined, circuit: ProviderCircuit | undefined, balance?: number): RoutableProvider {
  return {
    name: row._id,
    isActive: row.is_active,
    priority: row.priority,
    dailyLimit: row.daily_limit,
    sentToday: usage?.messages ?? 0,
    dailyBudget: row.daily_budget,
    spentToday: usage?.spend ?? 0,
    circuitOpenUntil: circuit?.open_until,
    balance,
  };
}
