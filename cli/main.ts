#!/usr/bin/env node
// Node side: the `agent-runtime` command. `dev`, `worker` and `serve` run processes; the other
// commands talk to a running API (`--url`, `AGENT_RUNTIME_URL`; `--token`, `AGENT_RUNTIME_TOKEN`).
// Exit codes: 0 done (the run succeeded), 1 the run failed, was cancelled or timed out,
// 2 bad usage or a request the API refused (4xx), 3 the API or Temporal unreachable (5xx).
import path from 'node:path';
import { createInterface } from 'node:readline/promises';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { Command, CommanderError } from 'commander';
import { getConfig } from '../src/config';
import { AgentRunner } from '../src/client/runner';
import { AgentApiClient, AgentApiError, bearerTokenAuth, serve } from '../src/server';
import type { StepRegistry } from '../src/steps';
import type { AnyTool } from '../src/tools/tool';
import { createRunStores } from '../worker';
import { llmFromSettings, runWorkerProcess } from '../worker/main';
import { startDevStack } from './dev';
import { RunRenderer, str } from './render';

/** Exit codes of the command. */
export const EXIT = { ok: 0, runFailed: 1, usage: 2, unavailable: 3 } as const;

interface GlobalOptions {
  url: string;
  token?: string;
  json?: boolean;
}

function api(opts: GlobalOptions): AgentApiClient {
  return new AgentApiClient({ url: opts.url, ...(opts.token ? { token: opts.token } : {}) });
}

async function loadExtras(
  modulePath: string | undefined,
): Promise<{ tools?: readonly AnyTool[]; steps?: StepRegistry }> {
  if (!modulePath) return {};
  return (await import(path.resolve(modulePath))) as {
    tools?: readonly AnyTool[];
    steps?: StepRegistry;
  };
}

function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}

function parseTokens(spec: string | undefined): Record<string, string> | undefined {
  if (!spec) return undefined;
  const out: Record<string, string> = {};
  for (const pair of spec.split(',')) {
    const [token, principal] = pair.split('=');
    if (!token || !principal) {
      throw new CommanderError(EXIT.usage, 'tokens', 'tokens: give "token=principal,…"');
    }
    out[token.trim()] = principal.trim();
  }
  return out;
}

function print(opts: GlobalOptions, value: unknown, human: () => void): void {
  if (opts.json) console.log(JSON.stringify(value));
  else human();
}

async function ask(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    const answer = await rl.question(question);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

/** Follows a run: renders its events, asks about approvals, prints the summary; the exit code. */
async function follow(
  client: AgentApiClient,
  runId: string,
  opts: GlobalOptions & { yes?: boolean; interactive?: boolean },
): Promise<number> {
  const renderer = new RunRenderer(process.stdout, { json: opts.json ?? false });
  const interactive =
    (opts.interactive ?? true) &&
    Boolean(process.stdin.isTTY && process.stdout.isTTY) &&
    !opts.json;
  for await (const { event } of client.events(runId)) {
    renderer.event(event);
    if (event.type !== 'tool.approval_requested') continue;
    const toolCallId = str(event.payload.toolCallId);
    const call = (event.payload.toolCall ?? {}) as { name?: string };
    if (opts.yes) {
      await client.decide(runId, toolCallId, true);
    } else if (interactive) {
      const approved = await ask(`Run ${call.name ?? 'tool'}? [y/N] `);
      await client.decide(
        runId,
        toolCallId,
        approved,
        approved ? undefined : 'rejected in the CLI',
      );
    } else if (!opts.json) {
      renderer.line(
        `  waiting: agent-runtime approve ${runId} ${toolCallId}   (or: agent-runtime reject ${runId} ${toolCallId})`,
      );
    }
  }
  const run = await client.getRun(runId);
  const links = (run.links ?? {}) as { ui?: string };
  if (opts.json) console.log(JSON.stringify({ run }));
  renderer.summary({
    runId,
    status: str(run.status),
    ...(run.usage ? { usage: run.usage } : {}),
    ...(run.error ? { error: run.error } : {}),
    ...(links.ui ? { uiUrl: links.ui } : {}),
  });
  return run.status === 'succeeded' ? EXIT.ok : EXIT.runFailed;
}

/** Builds the command (a fresh one per call, so tests can run it in-process too). */
export function buildProgram(): Command {
  const program = new Command('agent-runtime')
    .description('Run, watch and serve durable AI agents on Temporal')
    .option(
      '--url <url>',
      'API base URL (env AGENT_RUNTIME_URL)',
      process.env.AGENT_RUNTIME_URL ?? 'http://127.0.0.1:8080',
    )
    .option(
      '--token <token>',
      'bearer token (env AGENT_RUNTIME_TOKEN)',
      process.env.AGENT_RUNTIME_TOKEN,
    )
    .option('--json', 'machine-readable output: raw events and JSON objects, one per line')
    .exitOverride()
    .showHelpAfterError();

  program
    .command('dev')
    .description(
      'Temporal dev server with its UI + a worker for your workflows module + the API and chat page',
    )
    .option(
      '--workflows <path>',
      'your workflows module (env AGENT_WORKFLOWS_PATH)',
      process.env.AGENT_WORKFLOWS_PATH,
    )
    .option(
      '--tools <path>',
      'a module exporting `tools` and/or `steps` for the worker (env AGENT_WORKER_ACTIVITIES)',
      process.env.AGENT_WORKER_ACTIVITIES,
    )
    .option('--port <port>', 'API port (0: any free one)', '8080')
    .option('--temporal-address <address>', 'use this Temporal server instead of starting one')
    .option('--task-queue <name>', 'task queue', 'agent-runtime-dev')
    .action(
      async (o: {
        workflows?: string;
        tools?: string;
        port: string;
        temporalAddress?: string;
        taskQueue: string;
      }) => {
        if (!o.workflows) {
          throw new CommanderError(
            EXIT.usage,
            'workflows',
            'dev: give --workflows <path> (or AGENT_WORKFLOWS_PATH)',
          );
        }
        // Worker warnings in words, one line each (not the SDK's log object).
        Runtime.install({
          logger: new DefaultLogger('WARN', (entry) => console.warn(`warning: ${entry.message}`)),
        });
        const extras = await loadExtras(o.tools);
        const stack = await startDevStack({
          workflowsPath: path.resolve(o.workflows),
          llm: llmFromSettings(),
          modelPrices: getConfig().modelPrices,
          port: Number(o.port),
          taskQueue: o.taskQueue,
          ...(o.temporalAddress ? { temporalAddress: o.temporalAddress } : {}),
          ...(extras.tools ? { tools: extras.tools } : {}),
          ...(extras.steps ? { steps: extras.steps } : {}),
        });
        console.log(`API: ${stack.url}`);
        console.log(`Chat page: ${stack.url}/`);
        if (stack.temporalUiUrl) console.log(`Temporal UI: ${stack.temporalUiUrl}`);
        console.log(`Agents: ${stack.agents.join(', ') || '(any key)'}`);
        console.log('Ready. Ctrl-C stops everything.');
        await waitForSignal();
        await stack.stop();
      },
    );

  program
    .command('worker')
    .description('a worker for your workflows module, configured from the environment')
    .option(
      '--workflows <path>',
      'your workflows module (env AGENT_WORKFLOWS_PATH)',
      process.env.AGENT_WORKFLOWS_PATH,
    )
    .option(
      '--tools <path>',
      'a module exporting `tools` and/or `steps`',
      process.env.AGENT_WORKER_ACTIVITIES,
    )
    .action(async (o: { workflows?: string; tools?: string }) => {
      if (!o.workflows) {
        throw new CommanderError(
          EXIT.usage,
          'workflows',
          'worker: give --workflows <path> (or AGENT_WORKFLOWS_PATH)',
        );
      }
      const extras = await loadExtras(o.tools);
      await runWorkerProcess({
        workflowsPath: path.resolve(o.workflows),
        ...(extras.tools ? { tools: extras.tools } : {}),
        ...(extras.steps ? { steps: extras.steps } : {}),
      });
    });

  program
    .command('serve')
    .description('the HTTP API (and chat page) over the Temporal server and stores of the settings')
    .option('--port <port>', 'port', '8080')
    .option('--host <host>', 'interface', '127.0.0.1')
    .option(
      '--tokens <list>',
      'accepted bearer tokens, "token=principal,…" (env AGENT_RUNTIME_API_TOKENS)',
      process.env.AGENT_RUNTIME_API_TOKENS,
    )
    .option('--no-auth', 'no authentication (local development only)')
    .option('--no-chat-page', 'do not serve the chat page')
    .option(
      '--temporal-ui <url>',
      'Temporal Web UI base URL, for links',
      process.env.TEMPORAL_UI_URL,
    )
    .action(
      async (o: {
        port: string;
        host: string;
        tokens?: string;
        auth: boolean;
        chatPage: boolean;
        temporalUi?: string;
      }) => {
        const tokens = parseTokens(o.tokens);
        if (o.auth && !tokens) {
          throw new CommanderError(
            EXIT.usage,
            'tokens',
            'serve: give --tokens "token=principal" (or AGENT_RUNTIME_API_TOKENS), or --no-auth',
          );
        }
        const config = getConfig();
        const stores = createRunStores({ config });
        const runner = new AgentRunner({
          ...(stores.deps.eventBus ? { eventBus: stores.deps.eventBus } : {}),
          persistence: { conversations: true },
        });
        const server = await serve({
          runner,
          ...(stores.deps.conversationStore
            ? { conversations: stores.deps.conversationStore }
            : {}),
          auth: o.auth ? bearerTokenAuth(tokens as Record<string, string>) : 'none',
          port: Number(o.port),
          hostname: o.host,
          chatPage: o.chatPage,
          ...(o.temporalUi ? { temporalUiUrl: o.temporalUi } : {}),
        });
        console.log(
          `API: ${server.url}  (Temporal ${config.temporalAddress}, task queue ${config.taskQueue})`,
        );
        await waitForSignal();
        await server.close();
        await runner.close();
        await stores.close();
      },
    );

  program
    .command('run')
    .description('start a run and follow it: tokens as they stream, tool calls, steps, approvals')
    .argument('<agent>', 'agent key')
    .argument('<message>', 'the user message')
    .option('--run-id <id>', 'run id (idempotency key)')
    .option('--conversation <id>', 'conversation to run in')
    .option('--params <json>', 'agent parameters (a JSON object)')
    .option('-y, --yes', 'approve every tool call that asks')
    .option('--detach', 'print the run id and return without following')
    .action(
      async (
        agent: string,
        message: string,
        o: {
          runId?: string;
          conversation?: string;
          params?: string;
          yes?: boolean;
          detach?: boolean;
        },
        cmd: Command,
      ) => {
        const g = cmd.optsWithGlobals<GlobalOptions>();
        let params: Record<string, unknown> | undefined;
        if (o.params) {
          try {
            params = JSON.parse(o.params) as Record<string, unknown>;
          } catch {
            throw new CommanderError(EXIT.usage, 'params', '--params must be a JSON object');
          }
        }
        const client = api(g);
        const started = await client.startRun({
          agent,
          message,
          ...(o.runId ? { runId: o.runId } : {}),
          ...(o.conversation ? { conversationId: o.conversation } : {}),
          ...(params ? { params } : {}),
        });
        if (o.detach) {
          print(g, started, () => console.log(started.runId));
          return;
        }
        if (!g.json) console.log(`run ${started.runId} (${agent})`);
        process.exitCode = await follow(client, started.runId, {
          ...g,
          ...(o.yes ? { yes: true } : {}),
        });
      },
    );

  const runs = program.command('runs').description('list, show, watch and cancel runs');
  runs
    .command('list')
    .option('--agent <key>', 'only this agent')
    .option(
      '--status <status>',
      'running | succeeded | failed | cancelled | timed_out | terminated',
    )
    .option('--limit <n>', 'most runs', '20')
    .action(async (o: { agent?: string; status?: string; limit: string }, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      const { runs: list } = await api(g).listRuns({ ...o, limit: Number(o.limit) });
      print(g, { runs: list }, () => {
        if (list.length === 0) console.log('(no runs)');
        for (const r of list) {
          console.log(
            `${str(r.runId)}  ${str(r.agentKey).padEnd(20)} ${str(r.status).padEnd(10)} ${str(r.startTime ?? '')}`,
          );
        }
      });
    });
  runs
    .command('show')
    .argument('<runId>')
    .action(async (runId: string, _o: unknown, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      const run = await api(g).getRun(runId);
      print(g, run, () => {
        console.log(`run ${runId}: ${str(run.agentKey)}, ${str(run.status)}`);
        if (run.output !== undefined) console.log(`output: ${str(run.output)}`);
        const pending = (run.pendingApprovals ?? []) as {
          toolCallId: string;
          toolCall?: { name?: string };
        }[];
        for (const p of pending)
          console.log(`waiting for approval: ${p.toolCall?.name ?? 'tool'} (${p.toolCallId})`);
        new RunRenderer(process.stdout).summary({
          runId,
          ...(run.usage ? { usage: run.usage } : {}),
          ...(run.error ? { error: run.error } : {}),
          ...((run.links as { ui?: string } | undefined)?.ui
            ? { uiUrl: (run.links as { ui: string }).ui }
            : {}),
        });
      });
      if (run.status !== 'running' && run.status !== 'succeeded') process.exitCode = EXIT.runFailed;
    });
  runs
    .command('watch')
    .argument('<runId>')
    .option('-y, --yes', 'approve every tool call that asks')
    .action(async (runId: string, o: { yes?: boolean }, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      process.exitCode = await follow(api(g), runId, { ...g, ...(o.yes ? { yes: true } : {}) });
    });
  runs
    .command('cancel')
    .argument('<runId>')
    .action(async (runId: string, _o: unknown, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      const r = await api(g).cancelRun(runId);
      print(g, r, () => console.log(`cancelling run ${runId}`));
    });

  for (const verb of ['approve', 'reject'] as const) {
    program
      .command(verb)
      .description(`${verb} a tool call waiting for a human`)
      .argument('<runId>')
      .argument('<toolCallId>')
      .option('--reason <text>', 'why (a rejection reason goes back to the model)')
      .action(async (runId: string, toolCallId: string, o: { reason?: string }, cmd: Command) => {
        const g = cmd.optsWithGlobals<GlobalOptions>();
        const r = await api(g).decide(runId, toolCallId, verb === 'approve', o.reason);
        print(g, r, () =>
          console.log(
            `${verb === 'approve' ? 'approved' : 'rejected'} ${str(r.name)} (${toolCallId}) in run ${runId}`,
          ),
        );
      });
  }

  const conversations = program.command('conversations').description('list and show conversations');
  conversations
    .command('list')
    .option('--agent <key>', 'only this agent')
    .action(async (o: { agent?: string }, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      const r = await api(g).request<{ conversations: Record<string, unknown>[] }>(
        'GET',
        `/conversations${o.agent ? `?agent=${encodeURIComponent(o.agent)}` : ''}`,
      );
      print(g, r, () => {
        if (r.conversations.length === 0) console.log('(no conversations)');
        for (const c of r.conversations)
          console.log(`${str(c.id)}  ${str(c.title || '(untitled)')}  ${str(c.updatedAt)}`);
      });
    });
  conversations
    .command('show')
    .argument('<id>')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      const c = await api(g).request<{
        title: string;
        messages: { role: string; content: unknown }[];
        branches: unknown[];
      }>('GET', `/conversations/${encodeURIComponent(id)}`);
      print(g, c, () => {
        console.log(
          `${c.title || '(untitled)'} — ${c.messages.length} messages, ${c.branches.length} branch(es)`,
        );
        for (const m of c.messages)
          console.log(
            `${m.role}: ${typeof m.content === 'string' ? m.content : JSON.stringify(m.content)}`,
          );
      });
    });

  return program;
}

/** Runs the command line; resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  const json = argv.includes('--json');
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version')
        return EXIT.ok;
      if (err.code.startsWith('commander.')) return EXIT.usage;
      console.error(err.message);
      return EXIT.usage;
    }
    if (err instanceof AgentApiError) {
      if (json)
        console.error(
          JSON.stringify({ error: { status: err.status, code: err.code, message: err.message } }),
        );
      else console.error(`error: ${err.message} (${err.code})`);
      return err.status >= 400 && err.status < 500 ? EXIT.usage : EXIT.unavailable;
    }
    console.error(err instanceof Error ? err.message : str(err));
    return EXIT.unavailable;
  }
}

if (require.main === module) {
  main(process.argv).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err);
      process.exit(EXIT.unavailable);
    },
  );
}
