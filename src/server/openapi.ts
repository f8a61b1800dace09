// Node side (server): the OpenAPI 3.1 document of the API, generated from the zod schemas that
// validate the requests (`schemas.ts`), so the two cannot drift.
import { z } from 'zod';
import {
  ActiveBranchBody,
  BranchBody,
  CreateConversationBody,
  DecisionBody,
  ErrorBody,
  EventsQuery,
  ForkBody,
  ListConversationsQuery,
  ListRunsQuery,
  MessagesQuery,
  RunView,
  StartRunBody,
} from './schemas';

interface RouteDoc {
  method: 'get' | 'post' | 'put' | 'delete';
  path: string;
  summary: string;
  body?: z.ZodType;
  query?: z.ZodObject;
  ok: number;
  response?: z.ZodType;
  sse?: boolean;
  errors: number[];
}

const ROUTES: RouteDoc[] = [
  {
    method: 'get',
    path: '/agents',
    summary: 'Agent keys this server starts',
    ok: 200,
    errors: [401],
  },
  {
    method: 'post',
    path: '/runs',
    summary:
      'Start a run. With a `runId` that exists: the same run (200, `created: false`) when it is yours and of the same agent, else 409.',
    body: StartRunBody,
    ok: 201,
    response: RunView,
    errors: [400, 401, 403, 404, 409, 413],
  },
  {
    method: 'get',
    path: '/runs',
    summary: 'Your runs, newest first, by agent and status (Temporal visibility)',
    query: ListRunsQuery,
    ok: 200,
    errors: [400, 401],
  },
  {
    method: 'get',
    path: '/runs/{runId}',
    summary: 'A run: status, pending approvals while running; result, usage and cost once ended',
    ok: 200,
    response: RunView,
    errors: [401, 403, 404],
  },
  {
    method: 'post',
    path: '/runs/{runId}/cancel',
    summary: 'Cancel a running run',
    ok: 202,
    errors: [401, 403, 404, 409],
  },
  {
    method: 'get',
    path: '/runs/{runId}/approvals',
    summary: 'Tool calls of the run waiting for a decision',
    ok: 200,
    errors: [401, 403, 404],
  },
  {
    method: 'post',
    path: '/runs/{runId}/tool-calls/{toolCallId}/approve',
    summary: 'Approve a tool call waiting for a human',
    body: DecisionBody,
    ok: 200,
    errors: [400, 401, 403, 404, 409],
  },
  {
    method: 'post',
    path: '/runs/{runId}/tool-calls/{toolCallId}/reject',
    summary: 'Reject a tool call waiting for a human (the reason goes back to the model)',
    body: DecisionBody,
    ok: 200,
    errors: [400, 401, 403, 404, 409],
  },
  {
    method: 'get',
    path: '/runs/{runId}/events',
    summary:
      'The run\'s events as Server-Sent Events, in order, ending after the terminal event. `id:` is the event seq ("12"; "12.3" for the third transient event, such as a token delta, after event 12). Resume with `Last-Event-ID` (or `?after=`). Heartbeat comments while idle.',
    query: EventsQuery,
    ok: 200,
    sse: true,
    errors: [400, 401, 403, 404, 429],
  },
  {
    method: 'post',
    path: '/conversations',
    summary: 'Create a conversation (owned by the caller)',
    body: CreateConversationBody,
    ok: 201,
    errors: [400, 401, 413],
  },
  {
    method: 'get',
    path: '/conversations',
    summary: 'Your conversations, most recently updated first',
    query: ListConversationsQuery,
    ok: 200,
    errors: [400, 401],
  },
  {
    method: 'get',
    path: '/conversations/{id}',
    summary: 'A conversation with the messages of its active branch, and its branches',
    ok: 200,
    errors: [401, 403, 404],
  },
  {
    method: 'delete',
    path: '/conversations/{id}',
    summary: 'Delete a conversation',
    ok: 204,
    errors: [401, 403, 404],
  },
  {
    method: 'get',
    path: '/conversations/{id}/messages',
    summary: 'Messages of the active branch, or of `?branch=<id>` (`main`: the main branch)',
    query: MessagesQuery,
    ok: 200,
    errors: [401, 403, 404],
  },
  {
    method: 'get',
    path: '/conversations/{id}/branches',
    summary: 'The branches of a conversation and the active one',
    ok: 200,
    errors: [401, 403, 404],
  },
  {
    method: 'put',
    path: '/conversations/{id}/active-branch',
    summary: 'Switch to another branch (`null`: the main branch)',
    body: ActiveBranchBody,
    ok: 200,
    errors: [400, 401, 403, 404],
  },
  {
    method: 'post',
    path: '/conversations/{id}/branches',
    summary:
      'Edit a user message (`content`) or regenerate an assistant message as a new active branch; `run` starts the agent on it',
    body: BranchBody,
    ok: 201,
    errors: [400, 401, 403, 404, 409],
  },
  {
    method: 'post',
    path: '/conversations/{id}/fork',
    summary: 'Copy the conversation up to a message into a new conversation',
    body: ForkBody,
    ok: 201,
    errors: [400, 401, 403, 404],
  },
];

const ERROR_TEXT: Record<number, string> = {
  400: 'Invalid request (code INVALID_INPUT, details.issues)',
  401: 'Missing or invalid credentials (UNAUTHENTICATED)',
  403: "Another principal's run or conversation (FORBIDDEN)",
  404: 'Unknown run, conversation, message or agent',
  409: 'Conflicts with the current state (CONFLICT)',
  413: 'Request body too large (REQUEST_TOO_LARGE)',
  429: 'Too many open event streams (TOO_MANY_REQUESTS)',
};

function schema(s: z.ZodType): Record<string, unknown> {
  const json = z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  delete json.$schema;
  return json;
}

let cached: Record<string, unknown> | undefined;

/** The OpenAPI 3.1 document of `createAgentApp`'s routes (served at `/openapi.json`). */
export function buildOpenApiDocument(): Record<string, unknown> {
  if (cached) return cached;
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of ROUTES) {
    const params: Record<string, unknown>[] = [...r.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    if (r.query) {
      const props = (schema(r.query).properties ?? {}) as Record<string, unknown>;
      for (const [name, s] of Object.entries(props)) {
        params.push({ name, in: 'query', required: false, schema: s });
      }
    }
    if (r.sse) {
      params.push({
        name: 'Last-Event-ID',
        in: 'header',
        required: false,
        schema: { type: 'string' },
      });
    }
    const responses: Record<string, unknown> = {
      [String(r.ok)]: {
        description: 'OK',
        ...(r.sse
          ? { content: { 'text/event-stream': { schema: { type: 'string' } } } }
          : r.response
            ? { content: { 'application/json': { schema: schema(r.response) } } }
            : r.ok === 204
              ? {}
              : { content: { 'application/json': { schema: { type: 'object' } } } }),
      },
    };
    for (const status of r.errors) {
      responses[String(status)] = {
        description: ERROR_TEXT[status] ?? 'Error',
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      };
    }
    (paths[r.path] ??= {})[r.method] = {
      summary: r.summary,
      ...(params.length ? { parameters: params } : {}),
      ...(r.body
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: schema(r.body) } },
            },
          }
        : {}),
      responses,
      security: [{ bearer: [] }],
    };
  }
  cached = {
    openapi: '3.1.0',
    info: {
      title: 'agent-runtime-core API',
      version: '1',
      description:
        'Start, watch, approve and cancel durable agent runs; conversations with branches.',
    },
    paths,
    components: {
      schemas: { Error: schema(ErrorBody) },
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
    },
  };
  return cached;
}
