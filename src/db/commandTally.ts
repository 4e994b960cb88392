import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MongoClient } from 'mongodb';

/**
 * Profiling aid for the bench: with `MONGO_COMMAND_TALLY=<dir>`, every process counts its MongoDB round trips by
 * command and collection (e.g. `update sms_messages`) and rewrites `<dir>/<pid>.json` every second, so a bench can
 * print round trips per message by what they are. Off (no listener at all) unless the variable is set.
 */
/** One tally per process, whatever number of clients it connects: they share the counts and the file. */
let counts: Record<string, number> | undefined;

export function tallyCommands(client: MongoClient, dir = process.env.MONGO_COMMAND_TALLY): void {
  if (!dir) return;
  if (!counts) {
    const tally: Record<string, number> = {};
    counts = tally;
    const file = join(dir, `${process.pid}.json`);
    // Written aside and renamed into place: a bench reading the directory never sees half a file.
    const flush = () => {
      writeFileSync(`${file}.partial`, JSON.stringify(tally));
      renameSync(`${file}.partial`, file);
    };
    setInterval(flush, 1_000).unref();
    process.once('exit', flush);
  }
  const tally = counts;
  client.on('commandStarted', (event) => {
    const command = event.command as Record<string, unknown>;
    const target = typeof command[event.commandName] === 'string' ? ` ${command[event.commandName] as string}` : '';
    const key = `${event.commandName}${target}`;
    tally[key] = (tally[key] ?? 0) + 1;
  });
}
