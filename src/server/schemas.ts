// Node side (server): the wire shapes of the HTTP API, as zod schemas. The same schemas validate
// request bodies and query strings and generate the OpenAPI document (`openapi.ts`).
import { z } from 'zod';

/** A run id or conversation id in a path or body: what Temporal and the stores accept. */
const Id = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9._:@-]+$/, 'letters, digits and . _ : @ - only');

/** A chat message as a client sends it. */
export const ChatMessageBody = z.object({
  role: z.enum(['system', 'user', 'assistant', 'tool']),
  content: z.string().nullable(),
  toolCallId: z.string().optional(),
  name: z.string().optional(),
});

/** `POST /runs`: start a run. */
export const StartRunBody = z
  .object({
    /** The agent key. */
    agent: z.string().min(1).max(200),
    /** The run id (idempotency key): starting it again returns the same run. @default a new UUID */
    runId: Id.optional(),
    /** The input messages. */
    messages: z.array(ChatMessageBody).max(1000).optional(),
    /** Shorthand for `messages: [{ role: 'user', content: message }]`. */
    message: z.string().optional(),
    /** A conversation (owned by the caller) the run reads its history from and appends to. */
    conversationId: Id.optional(),
    /** Free-form parameters for the agent. */
    params: z.record(z.string(), z.unknown()).optional(),
    /** Free-form metadata. */
    metadata: z.record(z.string(), z.unknown()).optional(),
  })
  .strict()
  .refine((b) => b.messages !== undefined || b.message !== undefined, {
    message: 'give `messages` or `message`',
    path: ['messages'],
  });
/** `POST /runs` body. */
export type StartRunBody = z.infer<typeof StartRunBody>;

/** `POST /runs/:runId/tool-calls/:toolCallId/{approve,reject}`. */
export const DecisionBody = z.object({ reason: z.string().max(2000).optional() }).strict();

/** `GET /runs` query. */
export const ListRunsQuery = z.object({
  agent: z.string().min(1).max(200).optional(),
  status: z
    .enum(['running', 'succeeded', 'failed', 'cancelled', 'timed_out', 'terminated'])
    .optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

/** `GET /runs/:runId/events` query (`Last-Event-ID` header takes precedence over `after`). */
export const EventsQuery = z.object({
  after: z
    .string()
    .regex(/^\d+(\.\d+)?$/)
    .optional(),
});

/** `POST /conversations`. */
export const CreateConversationBody = z
  .object({
    id: z.uuid().optional(),
    title: z.string().max(500).optional(),
    agentKey: z.string().min(1).max(200).optional(),
    metadata: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

/** `GET /conversations` query. */
export const ListConversationsQuery = z.object({
  agent: z.string().min(1).max(200).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

/** `GET /conversations/:id/messages` query. */
export const MessagesQuery = z.object({
  /** A branch id, `main` for the main branch; default the active branch. */
  branch: z.string().optional(),
});

/** Starting a run in a conversation (edit/regenerate then answer). */
const RunInConversation = z
  .object({
    agent: z.string().min(1).max(200),
    runId: Id.optional(),
    params: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

/**
 * `POST /conversations/:id/branches`: edit a user message (`content` required) or regenerate an
 * assistant message (its user message is re-asked), as a new active branch; `run` starts the
 * agent on the branch.
 */
export const BranchBody = z
  .object({
    messageId: z.string().min(1),
    content: z.string().optional(),
    run: RunInConversation.optional(),
  })
  .strict();

/** `PUT /conversations/:id/active-branch` (`null`: the main branch). */
export const ActiveBranchBody = z.object({ branchId: z.string().nullable() }).strict();

/** `POST /conversations/:id/fork`. */
export const ForkBody = z
  .object({ messageId: z.string().min(1), title: z.string().max(500).optional() })
  .strict();

/** The JSON error body of every failed request. */
export const ErrorBody = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.record(z.string(), z.unknown()).optional(),
  }),
});

/** A run as the API returns it. */
export const RunView = z.object({
  runId: z.string(),
  agentKey: z.string(),
  status: z.enum([
    'pending',
    'running',
    'succeeded',
    'failed',
    'cancelled',
    'timed_out',
    'terminated',
  ]),
  conversationId: z.string().optional(),
  startTime: z.string().optional(),
  closeTime: z.string().optional(),
  lastSeq: z.number().optional(),
  pendingApprovals: z.array(z.record(z.string(), z.unknown())).optional(),
  result: z.record(z.string(), z.unknown()).optional(),
  usage: z.record(z.string(), z.unknown()).optional(),
  cost: z.number().optional(),
  error: z.record(z.string(), z.unknown()).optional(),
  links: z.record(z.string(), z.string()).optional(),
});
