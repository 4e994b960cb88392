import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const TEMPORAL_CLI_VERSION = 'v1.5.1';
export const FERRETDB_VERSION = 'v1.24.2';

type Progress = (line: string) => void;

/**
 * The Temporal CLI (dev server + UI): TEMPORAL_CLI_PATH, else our cached build, else `temporal` on PATH, else
 * built once from the Go module proxy into the cache. (The SDK's own download of the dev server is not possible
 * without internet access.)
 */
export async function ensureTemporalCli(opts: { explicitPath?: string; cacheDir: string }, progress: Progress): Promise<string> {
  if (opts.explicitPath) return requireFile(opts.explicitPath, 'TEMPORAL_CLI_PATH');
  const cached = join(opts.cacheDir, 'bin', `temporal-${TEMPORAL_CLI_VERSION}`);
  if (existsSync(cached)) return cached;
  const onPath = which('temporal');
  if (onPath) return onPath;
  progress(`Building Temporal CLI ${TEMPORAL_CLI_VERSION} from the Go module proxy (first time only; takes a few minutes)…`);
  const gobin = join(opts.cacheDir, 'build', `temporal-${process.pid}`);
  await goRun(['install', '-v', `github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}`], { GOBIN: gobin }, process.cwd(), progress);
  return publish(join(gobin, 'temporal'), cached);
}

/**
 * A MongoDB-compatible server: FERRETDB_PATH, else our cached FerretDB build, else `mongod` on PATH, else FerretDB
 * built once from tools/ferretdb (a tiny main package embedding FerretDB; see its comment for why).
 */
export async function ensureMongoServer(
  opts: { explicitPath?: string; cacheDir: string; repoRoot: string },
  progress: Progress,
): Promise<{ kind: 'ferretdb' | 'mongod'; path: string }> {
  if (opts.explicitPath) return { kind: 'ferretdb', path: requireFile(opts.explicitPath, 'FERRETDB_PATH') };
  const source = join(opts.repoRoot, 'tools', 'ferretdb');
  // Keyed by our wrapper's source too, so a changed wrapper is rebuilt rather than an old build reused.
  const cached = join(opts.cacheDir, 'bin', `ferretdb-${FERRETDB_VERSION}-${sourceHash(source)}`);
  if (existsSync(cached)) return { kind: 'ferretdb', path: cached };
  const mongod = which('mongod');
  if (mongod) return { kind: 'mongod', path: mongod };
  progress(`Building FerretDB ${FERRETDB_VERSION} from the Go module proxy (first time only; about two minutes)…`);
  const out = join(opts.cacheDir, 'build', `ferretdb-${process.pid}`);
  await goRun(['build', '-v', '-o', out, '.'], {}, source, progress);
  return { kind: 'ferretdb', path: publish(out, cached) };
}

function sourceHash(dir: string): string {
  const hash = createHash('sha256');
  for (const file of readdirSync(dir)
    .filter((f) => /\.(go|mod|sum)$/.test(f))
    .sort())
    hash.update(file).update(readFileSync(join(dir, file)));
  return hash.digest('hex').slice(0, 8);
}

function requireFile(path: string, variable: string): string {
  const full = resolve(path);
  if (!existsSync(full)) throw new Error(`${variable} points at ${full}, which does not exist`);
  return full;
}

function which(command: string): string | undefined {
  const found = spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() || undefined : undefined;
}

/** Builds land in a per-process path first and are renamed into place, so parallel runs never see half a file. */
function publish(built: string, target: string): string {
  mkdirSync(join(target, '..'), { recursive: true });
  renameSync(built, target);
  return target;
}

function goRun(args: string[], env: Record<string, string>, cwd: string, progress: Progress): Promise<void> {
  if (!which('go')) return Promise.reject(new Error('Go is required to build the embedded servers (go ≥ 1.25 on PATH: the Temporal CLI v1.5.1 needs it)'));
  return new Promise((resolvePromise, reject) => {
    const child = spawn('go', args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let packages = 0;
    let tail = '';
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      tail = (tail + text).slice(-4000);
      for (const line of text.split('\n')) {
        if (!line.trim()) continue;
        if (line.startsWith('go: downloading')) progress(`  ${line.trim()}`);
        else if (++packages % 100 === 0) progress(`  compiled ${packages} packages…`);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolvePromise() : reject(new Error(`go ${args.join(' ')} failed (exit ${code}):\n${tail}`))));
  });
}
