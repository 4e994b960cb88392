import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Reads the per-process MongoDB command counts the stack writes with `MONGO_COMMAND_TALLY` (src/db/commandTally.ts):
 * snapshot before the batch, difference after, printed as round trips per message by command and collection.
 */
export function mongoTally() {
  const dir = mkdtempSync(join(tmpdir(), 'luckygas-mongo-tally-'));
  const read = (): Record<string, number> => {
    const total: Record<string, number> = {};
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
      const counts = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Record<string, number>;
      for (const [key, n] of Object.entries(counts)) total[key] = (total[key] ?? 0) + n;
    }
    return total;
  };
  return {
    env: { MONGO_COMMAND_TALLY: dir },
    snapshot: read,
    /** Round trips per message since `before`, largest first. */
    perMessage(before: Record<string, number>, messages: number): { total: number; rows: [string, number][] } {
      const rows = Object.entries(read())
        .map(([key, n]): [string, number] => [key, (n - (before[key] ?? 0)) / messages])
        .filter(([, n]) => n >= 0.01)
        .sort((a, b) => b[1] - a[1]);
      return { total: rows.reduce((t, [, n]) => t + n, 0), rows };
    },
  };
}
