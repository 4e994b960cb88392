import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SMS_SEARCH_ATTRIBUTES } from '../temporal/searchAttributes';
import { ensureMongoServer, ensureTemporalCli } from './binaries';
import { startServerProcess, type ManagedProcess } from './processes';

export interface EmbeddedOptions {
  dataDir: string;
  cacheDir: string;
  repoRoot: string;
  temporalCliPath?: string;
  ferretDbPath?: string;
  progress: (line: string) => void;
}

/** Temporal dev server with its UI; history in a SQLite file under dataDir, so a restart keeps workflows. */
/**
 * The embedded UI's access to our codec endpoint in development: a random path segment made at each start, so the
 * UI shows workflow inputs and results decoded without a login (the dev server's UI has none). Production uses the
 * authenticated `/codec` endpoint instead (docs/operations.md).
 */
export function devUiCodec(apiPort: number, uiPort: number): { secret: string; origin: string; endpoint: string } {
  const secret = randomBytes(24).toString('hex');
  return { secret, origin: `http://127.0.0.1:${uiPort}`, endpoint: `http://127.0.0.1:${apiPort}/codec-ui/${secret}` };
}

export async function startEmbeddedTemporal(
  opts: EmbeddedOptions & { port: number; uiPort: number; uiCodecEndpoint?: string },
): Promise<ManagedProcess & { address: string; uiUrl: string }> {
  const cli = await ensureTemporalCli({ explicitPath: opts.temporalCliPath, cacheDir: opts.cacheDir }, opts.progress);
  mkdirSync(opts.dataDir, { recursive: true });
  opts.progress(`Starting Temporal dev server on 127.0.0.1:${opts.port} (UI ${opts.uiPort})…`);
  const proc = await startServerProcess({
    name: 'temporal',
    command: cli,
    args: [
      'server',
      'start-dev',
      '--ip',
      '127.0.0.1',
      '--port',
      String(opts.port),
      '--ui-port',
      String(opts.uiPort),
      ...(opts.uiCodecEndpoint ? ['--ui-codec-endpoint', opts.uiCodecEndpoint] : []),
      '--db-filename',
      resolve(opts.dataDir, 'temporal.sqlite'),
      '--log-level',
      'warn',
      // WAL with NORMAL sync: still crash-safe for the process, and several times the write throughput of the
      // default rollback journal, which otherwise caps the dev server at a few SMS workflows per second.
      '--sqlite-pragma',
      'journal_mode=wal',
      '--sqlite-pragma',
      'synchronous=normal',
      // Offline machines cannot reach the version-check service; without this the server logs errors forever.
      '--dynamic-config-value',
      'frontend.enableServerVersionCheck=false',
      // Task priority (batch messages at 5, single sends at 3) is honoured only by the new matching engine; with
      // the default one a campaign's backlog delays an order confirmation by the whole backlog (measured with
      // scripts/bench/priorityCheck.ts on this build: 4.9 s behind 40 tasks vs 0.13 s).
      '--dynamic-config-value',
      'matching.useNewMatcher=true',
      // The dev server reads search attributes from SQLite on every use, so one created at run time shows at once;
      // ours are all created by the flags below before anything runs. Read once and cached, as on a production
      // server (the setting's own docs: "should not be turned on in production"), they cost no statement per use:
      // about 10 of the server's 49 persistence operations per batch message (bench --server-ops).
      '--dynamic-config-value',
      'system.forceSearchAttributesCacheRefreshOnRead=false',
      ...SMS_SEARCH_ATTRIBUTES.flatMap((key) => ['--search-attribute', `${key.name}=Keyword`]),
    ],
    logFile: join(opts.dataDir, 'logs', 'temporal.log'),
    port: opts.port,
    pidFile: join(opts.dataDir, 'temporal.pid'),
  });
  return { ...proc, address: `127.0.0.1:${opts.port}`, uiUrl: `http://127.0.0.1:${opts.uiPort}` };
}

/**
 * FerretDB's garbage collector target. Every update decodes and re-encodes the whole stored document, so FerretDB
 * allocates heavily while its live heap stays small; with Go's default (100) it spent about a sixth of its CPU on
 * collection and on returning memory to the kernel. 400 cut its CPU per batch message by about a fifth
 * (docs/throughput.md, fourteenth round), for a few tens of MiB more memory. A GOGC in the environment wins.
 */
const FERRETDB_GOGC = '400';

/** FerretDB (MongoDB wire protocol on SQLite under dataDir), or a local mongod when that is what we have. */
export async function startEmbeddedMongo(opts: EmbeddedOptions & { port: number }): Promise<ManagedProcess & { uri: string }> {
  const server = await ensureMongoServer({ explicitPath: opts.ferretDbPath, cacheDir: opts.cacheDir, repoRoot: opts.repoRoot }, opts.progress);
  const dir = resolve(opts.dataDir, server.kind);
  mkdirSync(dir, { recursive: true });
  opts.progress(`Starting ${server.kind === 'ferretdb' ? 'FerretDB' : 'mongod'} on 127.0.0.1:${opts.port}…`);
  const args =
    server.kind === 'ferretdb'
      ? // Flags understood by both our tools/ferretdb build and an official FerretDB v1 binary. FerretDB already uses
        // WAL; synchronous=NORMAL stops it syncing the disk on every commit (still crash-safe for the process, as for
        // the Temporal dev server above), which multiplies the write rate of small updates several times.
        [
          '--handler=sqlite',
          `--listen-addr=127.0.0.1:${opts.port}`,
          `--sqlite-url=file:${dir}/?_pragma=synchronous(normal)`,
          '--log-level=warn',
          '--telemetry=disable',
          `--state-dir=${dir}`,
          '--debug-addr=-',
        ]
      : ['--bind_ip', '127.0.0.1', '--port', String(opts.port), '--dbpath', dir];
  const proc = await startServerProcess({
    name: server.kind,
    command: server.path,
    args,
    logFile: join(opts.dataDir, 'logs', `${server.kind}.log`),
    port: opts.port,
    pidFile: join(opts.dataDir, `${server.kind}.pid`),
    env: server.kind === 'ferretdb' ? { GOGC: process.env.GOGC ?? FERRETDB_GOGC } : {},
  });
  return { ...proc, uri: `mongodb://127.0.0.1:${opts.port}/` };
}
