import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MongoClient } from 'mongodb';

/**
 * Profiling aid for the bench: with `MONGO_COMMAND_TALLY=<dir>`, every process counts its MongoDB round trips by
 * command and collection (e.g. `update sms_messages`) and rewrites `<dir>/<pid>.json` every second, so a bench can
 * print round trips per message by what they are. Off (no listener at all) unless the variable is set.
 */
export function tallyCommands(client: MongoClient, dir = process.env.MONGO_COMMAND_TALLY): void {
  if (!dir) return;
  const counts: Record<string, number> = {};
  client.on('commandStarted', (event) => {
    const command = event.command as Record<string, unknown>;
    const target = typeof command[event.commandName] === 'string' ? ` ${command[event.commandName] as string}` : '';
    const key = `${event.commandName}${target}`;
    counts[key] = (counts[key] ?? 0) + 1;
  });
  const file = join(dir, `${process.pid}.json`);
  const flush = () => writeFileSync(file, JSON.stringify(counts));
  setInterval(flush, 1_000).unref();
  process.once('exit', flush);
}
