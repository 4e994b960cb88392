import { log } from '@temporalio/activity';
import type { Repositories } from '../db';
import { createProvider } from '../providers';
import { ProviderError } from '../providers/errors';

export interface BalanceDeps {
  repos: Repositories;
  /** SMS_PROVIDER_TIMEOUT_MS: a balance query is a provider call like a send. */
  timeoutMs: number;
}

export interface BalanceActivities {
  /** Per provider asked: the points it reported, or the error code of a failed query. */
  refreshBalances(input: Record<string, never>): Promise<Record<string, number | string>>;
}

/** Asks each configured provider that has a balance endpoint (Every8d getCredit, Mitake SmQuery) and stores the answer. */
export function createBalanceActivities({ repos, timeoutMs }: BalanceDeps): BalanceActivities {
  return {
    async refreshBalances() {
      const { configs } = await repos.providerDirectory.snapshot();
      const results: Record<string, number | string> = {};
      await Promise.all(
        // Inactive ones too: an operator who took a provider out of routes for want of credit watches it refill.
        [...configs.values()].map(async (config) => {
          const adapter = createProvider(config, { timeoutMs });
          if (!adapter.queryBalance) return;
          try {
            const points = await adapter.queryBalance();
            await repos.balances.record(config._id, points);
            results[config._id] = points;
          } catch (err) {
            // One provider's failed query leaves its last known balance; the others still refresh.
            const code = err instanceof ProviderError ? err.code : 'error';
            log.warn('provider balance query failed', { provider: config._id, code });
            results[config._id] = code;
          }
        }),
      );
      return results;
    },
  };
}
