// Node side (server): the HTTP API over an AgentRunner and a conversation store, as a Hono app
// the user mounts in their own server or runs standalone (`serve`).
import { randomUUID } from 'node:crypto';
import type { WorkflowExecutionDescription, WorkflowExecutionInfo } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { streamSSE } from 'hono/streaming';
import type { z } from 'zod';
import type { AgentRunner } from '../client/runner';
import type { RunHandle } from '../client/run-handle';
import { AgentRuntimeError } from '../core/errors';
import { AgentKeySearchAttribute } from '../core/run-contract';
import type { Message, RunStatus } from '../core/types';
import type { ConversationStore } from '../persistence/conversations/store';
import type { Conversation, ConversationMessage } from '../persistence/conversations/models';
import {
  LOCAL_PRINCIPAL,
  ownerOnly,
  type AuthenticateHook,
  type AuthorizeHook,
  type OwnedResource,
  type Principal,
} from './auth';
import { toErrorResponse } from './errors';
import { feedError, parseCursor, RunFeeds } from './event-feed';
import { buildOpenApiDocument } from './openapi';
import { chatPageHtml } from './chat-page';
import {
  ActiveBranchBody,
  BranchBody,
  CreateConversationBody,
  DecisionBody,
  EventsQuery,
  ListConversationsQuery,
  ListRunsQuery,
  MessagesQuery,
  StartRunBody,
  ForkBody,
} from './schemas';

/** Memo key of the principal that started a run through the server. */
export const OWNER_MEMO_KEY = 'agentRuntimeOwner';
/** Metadata key of the principal that created a conversation through the server. */
const OWNER_METADATA_KEY = 'agentRuntimeOwner';

/** CORS settings of the API (`hono/cors` options). */
export interface AgentAppCorsOptions {
  /** Allowed origins: one, a list, or `'*'`. */
  origin: string | string[];
  /** Send `Access-Control-Allow-Credentials`. @default false */
  credentials?: boolean;
  /** `Access-Control-Max-Age` in seconds. @default 600 */
  maxAge?: number;
}

/** Options of `createAgentApp`. */
export interface AgentAppOptions {
  /** The runner the API starts and watches runs with (its `eventBus` gives token deltas). */
  runner: AgentRunner;
  /**
   * Conversations (the same store the workers read and append to, with `persistence: {
   * conversations: true }` on the runner). Without it, the conversation routes answer 501
   * `CONFIG_MISSING`.
   */
  conversations?: ConversationStore;
  /**
   * Who is calling: a hook (see `bearerTokenAuth`), or `'none'` for local development (every
   * request is `LOCAL_PRINCIPAL` and may touch every run). Required: an API that starts agents
   * must not be open by accident.
   */
  auth: AuthenticateHook | 'none';
  /** What a principal may touch. @default `ownerOnly` (with `auth: 'none'`: everything) */
  authorize?: AuthorizeHook;
  /** CORS; off when absent. */
  cors?: AgentAppCorsOptions;
  /** Largest request body in bytes (larger: 413 `REQUEST_TOO_LARGE`). @default 1 MiB */
  bodyLimit?: number;
  /**
   * The agent keys clients may start. Others are refused with 404 `AGENT_NOT_FOUND`; `GET
   * /agents` lists them. @default any key (the worker fails runs of unknown agents)
   */
  agents?: string[];
  /** Interval of SSE heartbeat comments on an idle stream, in ms. @default 15000 */
  heartbeatMs?: number;
  /** Most open event streams per principal (more: 429 `TOO_MANY_REQUESTS`). @default 256 */
  maxStreamsPerPrincipal?: number;
  /** Base URL of the Temporal Web UI, for a `ui` link in run views. @default none */
  temporalUiUrl?: string;
  /** Serve the chat page at `/` (and `/chat`). @default false */
  chatPage?: boolean;
}

interface Env {
  Variables: { principal: Principal };
}

/** The public run statuses, mapped from Temporal's execution status. */
function statusOfExecution(name: string): RunStatus {
  switch (name) {
    case 'RUNNING':
    case 'CONTINUED_AS_NEW':
      return 'running';
    case 'COMPLETED':
      return 'succeeded';
    case 'CANCELLED':
      return 'cancelled';
    case 'TIMED_OUT':
      return 'timed_out';
    case 'TERMINATED':
      return 'terminated';
    default:
      return 'failed';
  }
}

const VISIBILITY_STATUS: Record<string, string> = {
  running: "ExecutionStatus = 'Running'",
  succeeded: "ExecutionStatus = 'Completed'",
  failed: "ExecutionStatus = 'Failed'",
  terminated: "ExecutionStatus = 'Terminated'",
  cancelled: "ExecutionStatus = 'Canceled'",
  timed_out: "ExecutionStatus = 'TimedOut'",
};

function quote(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/**
 * The HTTP API: runs (start, get, list, cancel, approve/reject tool calls, events as SSE) and
 * conversations (create, list, messages, branches, fork), with `/openapi.json` and, with
 * `chatPage`, a chat page at `/`. Mount it in your own Hono app (`app.route('/agents', api)`)
 * or serve it with `serve()`.
 */
export function createAgentApp(options: AgentAppOptions): Hono<Env> {
  if (!options?.runner)
    throw new AgentRuntimeError('CONFIG_INVALID', 'createAgentApp: runner is required');
  if (options.auth === undefined) {
    throw new AgentRuntimeError(
      'CONFIG_INVALID',
      "createAgentApp: auth is required (a hook such as bearerTokenAuth(...), or 'none' for local development)",
    );
  }
  const runner = options.runner;
  const store = options.conversations;
  const open = options.auth === 'none';
  const authenticate: AuthenticateHook = open
    ? () => LOCAL_PRINCIPAL
    : (options.auth as AuthenticateHook);
  const authorize: AuthorizeHook = options.authorize ?? (open ? () => true : ownerOnly);
  const limit = options.bodyLimit ?? 1024 * 1024;
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const maxStreams = options.maxStreamsPerPrincipal ?? 256;
  const allowedAgents = options.agents ? new Set(options.agents) : undefined;
  const feeds = new RunFeeds(30_000);
  const openStreams = new Map<string, number>();

  const app = new Hono<Env>();

  app.onError((err, c) => {
    const { status, body } = toErrorResponse(err);
    return c.json(body, status as 400);
  });
  app.notFound((c) =>
    c.json(
      { error: { code: 'NOT_FOUND', message: `No route ${c.req.method} ${c.req.path}` } },
      404,
    ),
  );

  if (options.cors) {
    app.use(
      '*',
      cors({
        origin: options.cors.origin,
        credentials: options.cors.credentials ?? false,
        maxAge: options.cors.maxAge ?? 600,
        allowHeaders: ['Authorization', 'Content-Type', 'Last-Event-ID'],
        allowMethods: ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS'],
      }),
    );
  }

  app.use(
    '*',
    bodyLimit({
      maxSize: limit,
      onError: (c) =>
        c.json(
          {
            error: {
              code: 'REQUEST_TOO_LARGE',
              message: `Request body larger than ${limit} bytes`,
              details: { limit },
            },
          },
          413,
        ),
    }),
  );

  // Public routes: the OpenAPI document and the chat page (the page asks for a token itself).
  app.get('/openapi.json', (c) => c.json(buildOpenApiDocument()));
  if (options.chatPage) {
    const page = (c: Context) => c.html(chatPageHtml({ auth: !open }));
    app.get('/', page);
    app.get('/chat', page);
  }

  app.use('*', async (c, next) => {
    if (c.req.method === 'OPTIONS') return next();
    const principal = await authenticate(c.req.raw);
    if (!principal) {
      throw new AgentRuntimeError('UNAUTHENTICATED', 'Missing or invalid credentials');
    }
    c.set('principal', principal);
    return next();
  });

  async function check(c: Context<Env>, resource: OwnedResource): Promise<void> {
    if (!(await authorize(c.get('principal'), resource))) {
      throw new AgentRuntimeError(
        'FORBIDDEN',
        `Not allowed to access ${resource.kind} "${resource.id}"`,
        {
          details: { [`${resource.kind}Id`]: resource.id },
        },
      );
    }
  }

  async function body<S extends z.ZodType>(c: Context, schema: S): Promise<z.infer<S>> {
    let raw: unknown = {};
    const text = await c.req.text();
    if (text.trim() !== '') {
      try {
        raw = JSON.parse(text);
      } catch {
        throw new AgentRuntimeError('INVALID_INPUT', 'The request body is not valid JSON');
      }
    }
    return schema.parse(raw);
  }

  function query<S extends z.ZodType>(c: Context, schema: S): z.infer<S> {
    return schema.parse(c.req.query());
  }

  async function describe(runId: string): Promise<WorkflowExecutionDescription | undefined> {
    const client = await runner.client();
    try {
      return await client.workflow.getHandle(runId).describe();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return undefined;
      throw err;
    }
  }

  function ownerOf(memo: Record<string, unknown> | undefined): string | undefined {
    const v = memo?.[OWNER_MEMO_KEY];
    return typeof v === 'string' ? v : undefined;
  }

  /** The run, once the caller may touch it (404 unknown, 403 another's). */
  async function ownedRun(
    c: Context<Env>,
    runId: string,
  ): Promise<{ handle: RunHandle; description: WorkflowExecutionDescription }> {
    const description = await describe(runId);
    if (!description) {
      throw new AgentRuntimeError('RUN_NOT_FOUND', `No run with id "${runId}".`, {
        details: { runId },
      });
    }
    const owner = ownerOf(description.memo);
    await check(c, { kind: 'run', id: runId, ...(owner !== undefined ? { owner } : {}) });
    return { handle: await runner.getHandle(runId), description };
  }

  function links(runId: string): Record<string, string> {
    const l: Record<string, string> = {
      self: `runs/${encodeURIComponent(runId)}`,
      events: `runs/${encodeURIComponent(runId)}/events`,
    };
    if (options.temporalUiUrl) {
      l.ui = `${options.temporalUiUrl}/namespaces/${runner.config.namespace}/workflows/${encodeURIComponent(runId)}`;
    }
    return l;
  }

  function summaryView(info: WorkflowExecutionInfo | WorkflowExecutionDescription) {
    const agentKey = info.typedSearchAttributes.get(AgentKeySearchAttribute);
    const conversationId = info.memo?.conversationId;
    return {
      runId: info.workflowId,
      agentKey: agentKey ?? '',
      status: statusOfExecution(info.status.name),
      ...(typeof conversationId === 'string' ? { conversationId } : {}),
      startTime: info.startTime.toISOString(),
      ...(info.closeTime ? { closeTime: info.closeTime.toISOString() } : {}),
      links: links(info.workflowId),
    };
  }

  async function startRun(
    c: Context<Env>,
    input: {
      agent: string;
      runId?: string;
      messages: Message[];
      conversationId?: string;
      params?: Record<string, unknown>;
      metadata?: Record<string, unknown>;
    },
  ): Promise<Response> {
    const principal = c.get('principal');
    if (allowedAgents && !allowedAgents.has(input.agent)) {
      throw new AgentRuntimeError('AGENT_NOT_FOUND', `No agent "${input.agent}" is served here`, {
        details: { agent: input.agent },
      });
    }
    if (input.conversationId !== undefined) await ownedConversation(c, input.conversationId);
    const runId = input.runId ?? randomUUID();
    const existing = input.runId ? await describe(runId) : undefined;
    if (existing) return sameRunOrConflict(c, existing, input.agent, principal);
    const handle = await runner.start({
      agent: input.agent,
      runId,
      inputData: {
        messages: input.messages,
        ...(input.conversationId !== undefined ? { conversationId: input.conversationId } : {}),
        ...(input.params !== undefined ? { params: input.params } : {}),
        ...(input.metadata !== undefined ? { metadata: input.metadata } : {}),
      },
      memo: {
        [OWNER_MEMO_KEY]: principal.id,
        ...(input.conversationId !== undefined ? { conversationId: input.conversationId } : {}),
      },
    });
    // Two concurrent starts of one id: the loser got a handle to the winner's run.
    const started = await handle.workflow.describe();
    if (ownerOf(started.memo) !== principal.id) {
      return sameRunOrConflict(c, started, input.agent, principal);
    }
    return c.json({ ...summaryView(started), agentKey: input.agent, created: true }, 201);
  }

  function sameRunOrConflict(
    c: Context<Env>,
    existing: WorkflowExecutionDescription,
    agent: string,
    principal: Principal,
  ): Response {
    const view = summaryView(existing);
    if (
      ownerOf(existing.memo) === principal.id &&
      (view.agentKey === agent || view.agentKey === '')
    ) {
      return c.json({ ...view, created: false }, 200);
    }
    throw new AgentRuntimeError(
      'CONFLICT',
      `Run id "${existing.workflowId}" is taken by another run; choose another id`,
      { details: { runId: existing.workflowId } },
    );
  }

  // ---- runs ----

  app.get('/agents', (c) => c.json({ agents: options.agents ?? [] }));

  app.post('/runs', async (c) => {
    const b = await body(c, StartRunBody);
    const messages: Message[] = (b.messages ?? []).map((m) => ({ ...m }));
    if (b.message !== undefined) messages.push({ role: 'user', content: b.message });
    return startRun(c, {
      agent: b.agent,
      messages,
      ...(b.runId !== undefined ? { runId: b.runId } : {}),
      ...(b.conversationId !== undefined ? { conversationId: b.conversationId } : {}),
      ...(b.params !== undefined ? { params: b.params } : {}),
      ...(b.metadata !== undefined ? { metadata: b.metadata } : {}),
    });
  });

  app.get('/runs', async (c) => {
    const q = query(c, ListRunsQuery);
    const principal = c.get('principal');
    const clauses = [`WorkflowType = 'agentRunWorkflow'`];
    if (q.agent) clauses.push(`AgentKey = ${quote(q.agent)}`);
    clauses.push(
      q.status ? (VISIBILITY_STATUS[q.status] as string) : "ExecutionStatus != 'ContinuedAsNew'",
    );
    const client = await runner.client();
    const runs: ReturnType<typeof summaryView>[] = [];
    let scanned = 0;
    for await (const info of client.workflow.list({
      query: clauses.join(' AND '),
      pageSize: 100,
    })) {
      scanned += 1;
      const owner = ownerOf(info.memo);
      if (
        await authorize(principal, {
          kind: 'run',
          id: info.workflowId,
          ...(owner !== undefined ? { owner } : {}),
        })
      ) {
        runs.push(summaryView(info));
      }
      // Owner filtering happens here, not in Temporal: bound the scan.
      if (runs.length >= q.limit || scanned >= q.limit * 20) break;
    }
    return c.json({ runs });
  });

  app.get('/runs/:runId', async (c) => {
    const { handle, description } = await ownedRun(c, c.req.param('runId'));
    const view: Record<string, unknown> = { ...summaryView(description) };
    if (description.status.name === 'RUNNING') {
      try {
        const s = await handle.status();
        view.status = s.status;
        view.lastSeq = s.lastSeq;
        view.pendingApprovals = await handle.pendingApprovals();
      } catch {
        // No worker answered the query: the summary is all there is.
      }
    } else {
      const result = await handle.result();
      view.result = { finalOutput: result.finalOutput, artifacts: result.artifacts };
      view.usage = result.usage;
      if (result.usage.cost !== undefined) view.cost = result.usage.cost;
      if (result.error) view.error = result.error;
      const last = result.finalMessages[result.finalMessages.length - 1];
      if (last && last.role === 'assistant') view.output = last.content;
    }
    return c.json(view);
  });

  app.post('/runs/:runId/cancel', async (c) => {
    const { handle, description } = await ownedRun(c, c.req.param('runId'));
    if (description.status.name !== 'RUNNING') {
      throw new AgentRuntimeError('CONFLICT', `Run "${handle.runId}" has ended`, {
        details: { runId: handle.runId, status: statusOfExecution(description.status.name) },
      });
    }
    await handle.cancel();
    return c.json({ runId: handle.runId, status: 'cancelling' }, 202);
  });

  app.get('/runs/:runId/approvals', async (c) => {
    const { handle, description } = await ownedRun(c, c.req.param('runId'));
    const pending = description.status.name === 'RUNNING' ? await handle.pendingApprovals() : [];
    return c.json({ pending });
  });

  for (const verb of ['approve', 'reject'] as const) {
    app.post(`/runs/:runId/tool-calls/:toolCallId/${verb}`, async (c) => {
      const b = await body(c, DecisionBody);
      const { handle } = await ownedRun(c, c.req.param('runId'));
      const answer = await handle.approveToolCall(c.req.param('toolCallId'), {
        approved: verb === 'approve',
        ...(b.reason !== undefined ? { reason: b.reason } : {}),
      });
      return c.json({ runId: handle.runId, ...answer });
    });
  }

  app.get('/runs/:runId/events', async (c) => {
    const q = query(c, EventsQuery);
    const header = c.req.header('last-event-id');
    if (header !== undefined && header !== '' && !parseCursor(header)) {
      throw new AgentRuntimeError(
        'INVALID_INPUT',
        'Last-Event-ID must be an event id such as "12" or "12.3"',
      );
    }
    const cursor = parseCursor(header || q.after);
    const { handle } = await ownedRun(c, c.req.param('runId'));
    const who = c.get('principal').id;
    const open = openStreams.get(who) ?? 0;
    if (open >= maxStreams) {
      throw new AgentRuntimeError(
        'TOO_MANY_REQUESTS',
        `At most ${maxStreams} open event streams per caller`,
        {
          details: { limit: maxStreams },
        },
      );
    }
    const feed = feeds.get(handle);
    if (
      feed.done &&
      feed.error === undefined &&
      feed.startIndex(cursor) >= feed.items.length &&
      cursor
    ) {
      // Resumed after the terminal event: 204 tells EventSource to stop reconnecting.
      return c.body(null, 204);
    }
    openStreams.set(who, open + 1);
    feed.attach();
    return streamSSE(c, async (stream) => {
      let aborted = false;
      let wakeAbort: () => void = () => undefined;
      const abortedPromise = new Promise<void>((r) => (wakeAbort = r));
      stream.onAbort(() => {
        aborted = true;
        wakeAbort();
      });
      try {
        await stream.write('retry: 2000\n\n');
        let i = feed.startIndex(cursor);
        while (!aborted) {
          while (i < feed.items.length && !aborted) {
            const item = feed.items[i++]!;
            await stream.writeSSE({ id: item.id, data: JSON.stringify(item.event) });
          }
          if (feed.done) {
            if (feed.error !== undefined) {
              await stream.writeSSE({
                event: 'error',
                data: JSON.stringify({ error: feedError(feed.error) }),
              });
            }
            break;
          }
          const before = feed.items.length;
          await Promise.race([feed.wait(heartbeatMs), abortedPromise]);
          if (!aborted && feed.items.length === before && !feed.done)
            await stream.write(': heartbeat\n\n');
        }
      } finally {
        feed.detach();
        const n = (openStreams.get(who) ?? 1) - 1;
        if (n <= 0) openStreams.delete(who);
        else openStreams.set(who, n);
      }
    });
  });

  // ---- conversations ----

  function conversations(): ConversationStore {
    if (!store) {
      throw new AgentRuntimeError('CONFIG_MISSING', 'This server has no conversation store');
    }
    return store;
  }

  async function ownedConversation(c: Context<Env>, id: string): Promise<Conversation> {
    const conv = await conversations()
      .get(id)
      .catch((err: unknown) => {
        // A malformed id is an unknown conversation, not a server error.
        if (AgentRuntimeError.is(err) && err.code === 'VALIDATION_ERROR') return null;
        throw err;
      });
    if (!conv) {
      throw new AgentRuntimeError('NOT_FOUND', `No conversation with id "${id}"`, {
        details: { conversationId: id },
      });
    }
    const owner = conv.metadata[OWNER_METADATA_KEY];
    await check(c, {
      kind: 'conversation',
      id,
      ...(typeof owner === 'string' ? { owner } : {}),
    });
    return conv;
  }

  function conversationView(conv: Conversation) {
    return { ...conv, messages: conv.messages.map(messageView) };
  }
  function messageView(m: ConversationMessage) {
    return m;
  }

  app.post('/conversations', async (c) => {
    const b = await body(c, CreateConversationBody);
    const conv = await conversations().save({
      ...(b.id !== undefined ? { id: b.id } : {}),
      title: b.title ?? '',
      ...(b.agentKey !== undefined ? { agentKey: b.agentKey } : {}),
      metadata: { ...(b.metadata ?? {}), [OWNER_METADATA_KEY]: c.get('principal').id },
    });
    return c.json(conversationView(conv), 201);
  });

  app.get('/conversations', async (c) => {
    const q = query(c, ListConversationsQuery);
    const principal = c.get('principal');
    const out: Conversation[] = [];
    // Ownership is metadata, not a store filter: page through until `limit` are found.
    for (let offset = 0; out.length < q.limit && offset < q.limit * 20; offset += 100) {
      const page = await conversations().list({
        limit: 100,
        offset,
        ...(q.agent ? { agentKey: q.agent } : {}),
      });
      for (const conv of page) {
        const owner = conv.metadata[OWNER_METADATA_KEY];
        const resource = {
          kind: 'conversation' as const,
          id: conv.id,
          ...(typeof owner === 'string' ? { owner } : {}),
        };
        if (out.length < q.limit && (await authorize(principal, resource))) out.push(conv);
      }
      if (page.length < 100) break;
    }
    return c.json({ conversations: out.map(({ messages: _m, ...rest }) => rest) });
  });

  app.get('/conversations/:id', async (c) => {
    const conv = await ownedConversation(c, c.req.param('id'));
    const branches = await conversations().listBranches(conv.id);
    return c.json({ ...conversationView(conv), branches });
  });

  app.delete('/conversations/:id', async (c) => {
    const conv = await ownedConversation(c, c.req.param('id'));
    await conversations().delete(conv.id);
    return c.body(null, 204);
  });

  app.get('/conversations/:id/messages', async (c) => {
    const conv = await ownedConversation(c, c.req.param('id'));
    const q = query(c, MessagesQuery);
    const branchId = q.branch === undefined ? undefined : q.branch === 'main' ? null : q.branch;
    const messages = await conversations().getMessages(
      conv.id,
      branchId === undefined ? {} : { branchId },
    );
    return c.json({
      conversationId: conv.id,
      branchId: branchId === undefined ? (conv.activeBranchId ?? null) : branchId,
      messages: messages.map(messageView),
    });
  });

  app.get('/conversations/:id/branches', async (c) => {
    const conv = await ownedConversation(c, c.req.param('id'));
    return c.json({
      activeBranchId: conv.activeBranchId ?? null,
      branches: await conversations().listBranches(conv.id),
    });
  });

  app.put('/conversations/:id/active-branch', async (c) => {
    const b = await body(c, ActiveBranchBody);
    const conv = await ownedConversation(c, c.req.param('id'));
    await conversations().setActiveBranch(conv.id, b.branchId);
    return c.json({ conversationId: conv.id, activeBranchId: b.branchId });
  });

  app.post('/conversations/:id/branches', async (c) => {
    const b = await body(c, BranchBody);
    const conv = await ownedConversation(c, c.req.param('id'));
    const path = conv.messages;
    const at = path.findIndex((m) => m.id === b.messageId);
    if (at < 0) {
      throw new AgentRuntimeError(
        'NOT_FOUND',
        `Message "${b.messageId}" is not on the active branch`,
        {
          details: { messageId: b.messageId },
        },
      );
    }
    const target = path[at]!;
    let baseId: string;
    let content: string;
    if (target.role === 'user') {
      if (b.content === undefined) {
        throw new AgentRuntimeError('INVALID_INPUT', 'Editing a user message needs `content`', {
          details: { field: 'content' },
        });
      }
      baseId = target.id;
      content = b.content;
    } else if (target.role === 'assistant') {
      // Regenerate: ask the question that led to this answer again, on a new branch.
      const question = path
        .slice(0, at)
        .reverse()
        .find((m) => m.role === 'user');
      if (!question) {
        throw new AgentRuntimeError('INVALID_INPUT', 'No user message precedes this answer');
      }
      baseId = question.id;
      content =
        b.content ??
        (typeof question.content === 'string'
          ? question.content
          : JSON.stringify(question.content));
    } else {
      throw new AgentRuntimeError(
        'INVALID_INPUT',
        'Only user (edit) and assistant (regenerate) messages start branches',
      );
    }
    const branch = await conversations().createBranch(conv.id, baseId, { role: 'user', content });
    if (!b.run) return c.json({ conversationId: conv.id, ...branch }, 201);
    // The branch ends with the question: the run reads it as history and appends its answer.
    const response = await startRun(c, {
      agent: b.run.agent,
      messages: [],
      conversationId: conv.id,
      ...(b.run.runId !== undefined ? { runId: b.run.runId } : {}),
      ...(b.run.params !== undefined ? { params: b.run.params } : {}),
    });
    const run = (await response.json()) as Record<string, unknown>;
    return c.json({ conversationId: conv.id, ...branch, run }, 201);
  });

  app.post('/conversations/:id/fork', async (c) => {
    const b = await body(c, ForkBody);
    const conv = await ownedConversation(c, c.req.param('id'));
    const fork = await conversations().fork(conv.id, b.messageId, {
      ...(b.title !== undefined ? { title: b.title } : {}),
    });
    // The fork belongs to whoever forked it.
    await conversations().save({
      ...fork,
      messages: [],
      metadata: { ...fork.metadata, [OWNER_METADATA_KEY]: c.get('principal').id },
    });
    const owned = (await conversations().get(fork.id)) ?? fork;
    return c.json(conversationView(owned), 201);
  });

  return app;
}
