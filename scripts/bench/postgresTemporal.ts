import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServerProcess } from '../../src/stack/processes';
import { freePorts } from '../../src/stack/launcher/ports';
import { Client, Connection } from '@temporalio/client';
import { ensureSearchAttributes } from '../../src/temporal/connect';

/** The server version the Temporal CLI v1.5.1 embeds (its go.mod: go.temporal.io/server v1.29.1). */
export const TEMPORAL_SERVER_VERSION = 'v1.29.1';

/** How often the server rereads its dynamic config file. */
const DYNAMIC_CONFIG_POLL_MS = 5_000;

/**
 * A bench profile beyond the dev server: Temporal server with PostgreSQL persistence (the machine's PostgreSQL 15
 * at 127.0.0.1:5432, trust auth) and several history shards, built from the Go module proxy at the CLI's server
 * version and cached beside the CLI build. Fresh databases per run; schema by temporal-sql-tool.
 */
export async function startPostgresTemporal(shards: number): Promise<{ address: string; pid?: number; metricsUrl: string; stop(): Promise<void> }> {
  const cache = join(process.env.CACHE_DIR ?? join(homedir(), '.cache', 'luckygas-sms'), 'bin');
  const server = ensureBuilt(cache, `temporal-server-${TEMPORAL_SERVER_VERSION}`, 'go.temporal.io/server/cmd/server', 'server');
  const sqlTool = ensureBuilt(cache, `temporal-sql-tool-${TEMPORAL_SERVER_VERSION}`, 'go.temporal.io/server/cmd/tools/sql', 'sql');
  const schema = join(
    execFileSync('go', ['env', 'GOMODCACHE'], { encoding: 'utf8' }).trim(),
    `go.temporal.io/server@${TEMPORAL_SERVER_VERSION}`,
    'schema',
    'postgresql',
    'v12',
  );

  const db = `luckygas_bench_${process.pid}`;
  for (const [name, dir] of [
    [db, 'temporal'],
    [`${db}_vis`, 'visibility'],
  ]) {
    const tool = (...args: string[]) =>
      execFileSync(sqlTool, ['--plugin', 'postgres12', '--ep', '127.0.0.1', '-p', '5432', '-u', 'postgres', '--db', name, ...args], { stdio: 'pipe' });
    tool('create-database');
    tool('setup-schema', '-v', '0.0');
    tool('update-schema', '-d', join(schema, dir, 'versioned'));
  }

  const root = mkdtempSync(join(tmpdir(), 'temporal-pg-'));
  mkdirSync(join(root, 'config'));
  const base = await freePorts(11);
  const metricsPort = base + 10;
  const store = (name: string, conns: number) => ({
    sql: {
      pluginName: 'postgres12',
      databaseName: name,
      connectAddr: '127.0.0.1:5432',
      connectProtocol: 'tcp',
      user: 'postgres',
      password: '',
      maxConns: conns,
      maxIdleConns: conns,
      maxConnLifetime: '1h',
    },
  });
  const service = (i: number) => ({ rpc: { grpcPort: base + i, membershipPort: base + 5 + i, bindOnLocalHost: true } });
  // JSON is YAML: the server reads this file as its config.
  writeFileSync(
    join(root, 'config', 'bench.yaml'),
    JSON.stringify({
      log: { stdout: true, level: 'warn' },
      persistence: {
        defaultStore: 'pg',
        visibilityStore: 'pg-vis',
        numHistoryShards: shards,
        datastores: { pg: store(db, 40), 'pg-vis': store(`${db}_vis`, 10) },
      },
      global: {
        membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' },
        // What --server-ops reads (bench/serverOps.ts), as on the dev server.
        metrics: { prometheus: { framework: 'tally', timerType: 'histogram', listenAddress: `127.0.0.1:${metricsPort}` } },
      },
      services: { frontend: { rpc: { ...service(0).rpc, httpPort: base + 4 } }, history: service(1), matching: service(2), worker: service(3) },
      clusterMetadata: {
        enableGlobalNamespace: false,
        failoverVersionIncrement: 10,
        masterClusterName: 'active',
        currentClusterName: 'active',
        clusterInformation: { active: { enabled: true, initialFailoverVersion: 1, rpcName: 'frontend', rpcAddress: `127.0.0.1:${base}` } },
      },
      dcRedirectionPolicy: { policy: 'noop' },
      dynamicConfigClient: { filepath: join(root, 'config', 'dynamic.yaml'), pollInterval: `${DYNAMIC_CONFIG_POLL_MS}ms` },
    }),
  );
  // Search attributes are read fresh on every use only until ours exist (below): then cached, as in production.
  const dynamicConfig = (freshSearchAttributes: boolean) =>
    writeFileSync(
      join(root, 'config', 'dynamic.yaml'),
      JSON.stringify({
        'matching.useNewMatcher': [{ value: true }],
        'frontend.enableServerVersionCheck': [{ value: false }],
        'system.forceSearchAttributesCacheRefreshOnRead': [{ value: freshSearchAttributes }],
      }),
    );
  dynamicConfig(true);

  const proc = await startServerProcess({
    name: 'temporal-server',
    command: server,
    args: ['--root', root, '--config', 'config', '--env', 'bench', '--allow-no-auth', 'start'],
    logFile: join(root, 'server.log'),
    port: base,
    readyTimeoutMs: 120_000,
  });
  const address = `127.0.0.1:${base}`;
  const cli = join(cache, 'temporal-v1.5.1');
  for (let i = 0; ; i++) {
    try {
      execFileSync(cli, ['operator', 'namespace', 'create', '--namespace', 'default', '--address', address], { stdio: 'pipe' });
      break;
    } catch (err) {
      if (String((err as { stderr?: Buffer }).stderr ?? '').includes('already')) break;
      if (i > 60) throw err;
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }
  // Created now, while every read is fresh, so no service caches a list without them; then the reads are cached
  // (each use of an attribute was a PostgreSQL read: docs/throughput.md, seventeenth round).
  const connection = await Connection.connect({ address });
  await ensureSearchAttributes(new Client({ connection }), 'default').finally(() => connection.close());
  dynamicConfig(false);
  await new Promise((r) => setTimeout(r, DYNAMIC_CONFIG_POLL_MS + 2_000));
  return {
    address,
    pid: proc.pid,
    metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
    stop: async () => {
      await proc.stop();
      for (const name of [db, `${db}_vis`]) spawn('psql', ['-h', '127.0.0.1', '-U', 'postgres', '-c', `DROP DATABASE IF EXISTS ${name}`], { stdio: 'ignore' });
    },
  };
}

/** `go install` once into the cache (built in a per-process directory, renamed into place). */
function ensureBuilt(cache: string, name: string, pkg: string, binary: string): string {
  const target = join(cache, name);
  if (existsSync(target)) return target;
  const gobin = join(cache, '..', 'build', `${name}-${process.pid}`);
  console.log(`Building ${pkg}@${TEMPORAL_SERVER_VERSION} from the Go module proxy (first time only)…`);
  execFileSync('go', ['install', `${pkg}@${TEMPORAL_SERVER_VERSION}`], { env: { ...process.env, GOBIN: gobin }, stdio: 'inherit' });
  mkdirSync(cache, { recursive: true });
  renameSync(join(gobin, binary), target);
  return target;
}
