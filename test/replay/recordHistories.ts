import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { RECORDED_PATHS } from './recordedPaths';
import { startHarness } from '../workflows/harness';

const HISTORIES = resolve(__dirname, '..', 'histories');

/**
 * `npm run record-histories [-- <path> …]`: runs the current workflow code through each recorded path (all by
 * default) on a throw-away dev server with the workflow tests' fake activities, and writes each run's history to
 * test/histories/<name>.json for the replay tests. Record from the code as it was *before* a change you want to
 * protect running workflows from; see CONTRIBUTING.md.
 */
async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((name) => !(name in RECORDED_PATHS));
  if (unknown.length) throw new Error(`unknown path(s): ${unknown.join(', ')}; known: ${Object.keys(RECORDED_PATHS).join(', ')}`);
  mkdirSync(HISTORIES, { recursive: true });
  const h = await startHarness();
  try {
    for (const [path, run] of Object.entries(RECORDED_PATHS)) {
      if (wanted.length && !wanted.includes(path)) continue;
      for (const [name, handle] of Object.entries(await run(h))) {
        const file = join(HISTORIES, `${name}.json`);
        writeFileSync(file, `${historyToJSON(await handle.fetchHistory())}\n`);
        console.log(`recorded ${file}`);
      }
      await h.cleanUp();
    }
  } finally {
    await h.teardown();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
