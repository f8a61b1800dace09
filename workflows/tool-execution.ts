// Sandbox-safe: how a run executes tool calls. Each call is one `executeTool` activity with the
// tool's own timeouts and retry policy; a `requiresConfirmation` tool first waits durably (a
// `condition`, no worker slot held) for the `approveToolCall` update or its approval timeout.
import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  CancelledFailure,
  TemporalFailure,
  TimeoutFailure,
  condition,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  workflowInfo,
  type ActivityOptions,
  type LocalActivityOptions,
} from '@temporalio/workflow';
import { localToolPatch } from './patches';
import { durationMs, formatDuration } from '../src/core/durations';
import { AgentRuntimeError } from '../src/core/errors';
import { EventType } from '../src/core/events';
import { fromActivityFailure } from '../src/core/failures';
import type { JsonValue, ToolCall } from '../src/core/types';
import {
  setCurrentToolExecutor,
  type ToolCallExecutor,
  type ToolCallRequest,
} from '../src/tools/executor';
import { DEFAULT_TOOL_RETRY, type ToolDeclaration } from '../src/tools/tool';
import { toolResultContent } from '../src/tools/registry';
import type { ToolCallReferences } from '../src/runtime/transcript-chains';
import { shortTranscriptId } from '../src/core/wire-ids';
import { isTranscriptMissing } from './run-context';
import type {
  AgentActivities,
  ExecuteToolInput,
  ExecuteToolOutput,
} from '../src/core/activity-contract';
import {
  approveToolCallUpdate,
  toolApprovalsQuery,
  type ApproveToolCallRequest,
  type ApproveToolCallResponse,
  type PendingToolApproval,
} from '../src/core/run-contract';

/**
 * Default of `ToolOptions.approvalTimeout`: below the default run timeout (300 s), so an
 * unanswered approval is rejected and reported to the model rather than ending the run `timed_out`.
 */
export const DEFAULT_APPROVAL_TIMEOUT = '240s';
/** Default of `ToolOptions.startToCloseTimeout`. */
export const DEFAULT_TOOL_START_TO_CLOSE_TIMEOUT = '60s';
/**
 * Default of `ToolOptions.startToCloseTimeout` for a `local` tool: its calls hold the run's
 * workflow task open, so they are meant to be quick.
 */
export const DEFAULT_LOCAL_TOOL_START_TO_CLOSE_TIMEOUT = '10s';
/** Default of `ToolOptions.heartbeatTimeout`. */
export const DEFAULT_TOOL_HEARTBEAT_TIMEOUT = '30s';
const MAX_REASON_LENGTH = 2000;

interface ApprovalState {
  toolCall: ToolCall;
  status: 'pending' | 'approved' | 'rejected' | 'timed_out' | 'cancelled';
  reason?: string;
  requestedAt: string;
  timeoutMs: number;
}

/** What the executor needs of the run. */
export interface ToolRunHost {
  readonly runId: string;
  /** When the run's own timeout fires (workflow time, ms), if known. */
  readonly deadlineMs?: number;
  emit(type: string, payload?: Record<string, unknown>): Promise<void>;
  /** Where the run's model replies and tool results are stored (arguments and results by reference). */
  readonly toolReferences?: ToolCallReferences;
}

/** The activity options of one tool's calls. */
export function toolActivityOptions(tool: ToolDeclaration): ActivityOptions {
  const retry = { ...DEFAULT_TOOL_RETRY, ...withoutUndefined(tool.retry ?? {}) };
  return {
    startToCloseTimeout: tool.startToCloseTimeout ?? DEFAULT_TOOL_START_TO_CLOSE_TIMEOUT,
    heartbeatTimeout: tool.heartbeatTimeout ?? DEFAULT_TOOL_HEARTBEAT_TIMEOUT,
    // The run learns of cancellation at once; the handler at the activity's next heartbeat,
    // through its AbortSignal.
    cancellationType: ActivityCancellationType.TRY_CANCEL,
    retry: {
      ...retry,
      // A side-effecting tool that is not idempotent is tried once: a lost worker must not
      // repeat its effect. The model is told the call failed instead.
      maximumAttempts: runsOnce(tool) ? 1 : retry.maximumAttempts,
    },
  };
}

/** The local activity options of a `local` tool's calls (no heartbeats; retried only if idempotent). */
export function toolLocalActivityOptions(tool: ToolDeclaration): LocalActivityOptions {
  const { cancellationType, retry } = toolActivityOptions(tool);
  return {
    startToCloseTimeout: tool.startToCloseTimeout ?? DEFAULT_LOCAL_TOOL_START_TO_CLOSE_TIMEOUT,
    ...(cancellationType !== undefined ? { cancellationType } : {}),
    ...(retry !== undefined ? { retry } : {}),
  };
}

/**
 * A failed local activity's error as an activity's. The SDK rejects a local activity that failed
 * with its failure itself (an `ApplicationFailure`; on replay also a `TimeoutFailure`, which the
 * live run got wrapped), where an activity's comes wrapped in an `ActivityFailure`: wrapping it
 * lets one path read both. A cancellation, and a failure already wrapped, stay as they are.
 */
function asActivityFailure(err: unknown): unknown {
  if (!(err instanceof TemporalFailure) || err instanceof ActivityFailure) return err;
  if (err instanceof CancelledFailure) return err;
  const retryState =
    err instanceof TimeoutFailure
      ? 'TIMEOUT'
      : err instanceof ApplicationFailure && err.nonRetryable
        ? 'NON_RETRYABLE_FAILURE'
        : 'MAXIMUM_ATTEMPTS_REACHED';
  return new ActivityFailure(
    'Local activity failed',
    'executeTool',
    undefined,
    retryState,
    undefined,
    err,
  );
}

/** A copy without the fields set to `undefined` (so they do not hide a default). */
function withoutUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * `runId:executionChainId:toolCallId`. The chain id is the Temporal run id of the chain's first
 * execution: the same on every retry, after a worker restart and across continue-as-new, but new
 * when a later execution reuses the run id (resuming steps, a scheduled job with a fixed id).
 * Without it a provider that restarts its ids (`call_0`, or `exec-1` for direct calls) would give
 * the new execution's calls the keys of the old one, and a deduplicating handler would skip them.
 */
function idempotencyKey(runId: string, callId: string): string {
  return `${runId}:${workflowInfo().firstExecutionRunId}:${callId}`;
}

function runsOnce(tool: ToolDeclaration): boolean {
  return tool.hasSideEffects === true && tool.idempotent !== true;
}

/** Runs the tool calls of one run (installed as the run's tool executor). */
export class WorkflowToolExecutor implements ToolCallExecutor {
  private readonly approvals = new Map<string, ApprovalState>();
  private readonly seenIds = new Map<string, number>();
  private directCalls = 0;

  constructor(private readonly host: ToolRunHost) {}

  async execute(request: ToolCallRequest): Promise<JsonValue> {
    const { tool } = request;
    const callId = this.uniqueCallId(request.toolCallId ?? `exec-${++this.directCalls}`);
    // `tool.call`/`tool.result` carry the model's id; the approval events carry the unique one
    // (what `approveToolCall` takes) and the model's (`toolCall.id`, `modelToolCallId` when they
    // differ), so a UI can pair them.
    if (tool.requiresConfirmation) {
      const toolCall: ToolCall = {
        id: request.toolCallId ?? callId,
        name: tool.name,
        arguments: JSON.stringify(request.arguments),
      };
      await this.awaitApproval(tool, callId, toolCall);
    }
    // A `local` tool runs as a local activity (only its result enters history); runs recorded
    // before it became local replay its calls as activities (one patch id per tool).
    const local = tool.local === true && patched(localToolPatch(tool.name));
    const call = (input: ExecuteToolInput, note = ''): Promise<ExecuteToolOutput> =>
      local
        ? proxyLocalActivities<AgentActivities>(toolLocalActivityOptions(tool))
            .executeTool.executeWithOptions({ summary: `${tool.name}${note}` }, [input])
            .catch((err: unknown) => {
              throw asActivityFailure(err);
            })
        : proxyActivities<AgentActivities>(
            toolActivityOptions(tool),
          ).executeTool.executeWithOptions({ summary: `${tool.name}${note}` }, [input]);
    const info = workflowInfo();
    const base = {
      runId: this.host.runId,
      toolCallId: callId,
      name: tool.name,
      idempotencyKey: idempotencyKey(this.host.runId, callId),
    };
    // The arguments are in the stored model reply: the worker reads them there (and stores the
    // result for the next model call), so they do not enter history twice.
    const refs = this.host.toolReferences;
    const from = refs?.argumentsRef(request.toolCallId, request.arguments);
    const resultKey = `r:${callId}`;
    try {
      let out: ExecuteToolOutput;
      try {
        // By reference, the ids go in their short forms (`src/core/wire-ids.ts`).
        const { runId, ...rest } = base;
        out = from
          ? await call({
              ...rest,
              ...(runId !== info.workflowId ? { runId } : {}),
              argumentsFrom: {
                transcript: shortTranscriptId(from.transcript, info),
                position: from.position,
                hash: from.hash,
                ...(from.toolCallId !== callId ? { toolCallId: from.toolCallId } : {}),
              },
              resultKey,
            })
          : await call({ ...base, arguments: request.arguments });
      } catch (err) {
        // The worker could not read the reply (before running the tool): send the arguments.
        if (!from || !isArgumentsMissing(err)) throw err;
        out = await call({ ...base, arguments: request.arguments }, ', arguments sent');
      }
      if (from && out.stored && request.toolCallId !== undefined) {
        refs?.noteResult(request.toolCallId, resultKey, out.stored, toolResultContent(out.result));
      }
      return out.result;
    } catch (err) {
      throw fromToolFailure(err, tool);
    }
  }

  /**
   * Tool-call ids are unique per run for real providers; some OpenAI-compatible servers reuse
   * ids such as `call_0` every turn. A repeated id gets `#2`, `#3`, … so each call keeps its own
   * idempotency key and approval.
   */
  private uniqueCallId(id: string): string {
    const n = (this.seenIds.get(id) ?? 0) + 1;
    this.seenIds.set(id, n);
    return n === 1 ? id : `${id}#${n}`;
  }

  private async awaitApproval(
    tool: ToolDeclaration,
    toolCallId: string,
    toolCall: ToolCall,
  ): Promise<void> {
    // Checked when the tool was defined; a default otherwise.
    const timeoutMs = durationMs(
      tool.approvalTimeout ?? DEFAULT_APPROVAL_TIMEOUT,
      'approvalTimeout',
      'INVALID_INPUT',
    );
    const state: ApprovalState = {
      toolCall,
      status: 'pending',
      requestedAt: new Date().toISOString(), // workflow time: deterministic
      timeoutMs,
    };
    this.approvals.set(toolCallId, state);
    // The run's timeout ends the whole run (`timed_out`); the approval timeout only rejects the
    // call. When the run would end first, say so: the approval timeout will never apply.
    const runTimeLeftMs =
      this.host.deadlineMs !== undefined
        ? Math.max(0, this.host.deadlineMs - Date.now())
        : undefined;
    const runTimesOutFirst = runTimeLeftMs !== undefined && runTimeLeftMs <= timeoutMs;
    if (runTimesOutFirst) {
      log.warn(
        `Approval of ${tool.name} waits up to ${formatDuration(timeoutMs)} but the run times out ` +
          `in ${formatDuration(runTimeLeftMs)}: raise runTimeout or lower approvalTimeout.`,
      );
    }
    await this.host.emit(EventType.TOOL_APPROVAL_REQUESTED, {
      toolCallId,
      toolCall,
      timeoutMs,
      ...(runTimesOutFirst ? { runTimesOutFirst: true, runTimeLeftMs } : {}),
    });
    const idFields = toolCall.id !== toolCallId ? { modelToolCallId: toolCall.id } : {};
    let decided: boolean;
    try {
      decided = await condition(() => state.status !== 'pending', timeoutMs, {
        summary: `approval wait: ${tool.name}`,
      });
    } catch (err) {
      state.status = 'cancelled';
      throw err;
    }
    if (!decided) state.status = 'timed_out';
    const approved = state.status === 'approved';
    await this.host.emit(EventType.TOOL_APPROVAL_DECIDED, {
      toolCallId,
      ...idFields,
      name: tool.name,
      approved,
      timedOut: !decided,
      ...(state.reason !== undefined ? { reason: state.reason } : {}),
    });
    if (approved) return;
    throw new AgentRuntimeError(
      'TOOL_APPROVAL_REJECTED',
      decided
        ? `A human rejected this call of ${tool.name}${state.reason ? `: ${state.reason}` : '.'}`
        : `This call of ${tool.name} was not approved within ${formatDuration(timeoutMs)}, so it was rejected.`,
      { details: { name: tool.name, toolCallId, timedOut: !decided } },
    );
  }

  /** Registers the `approveToolCall` update and `toolApprovals` query handlers. */
  installHandlers(): void {
    setHandler(
      toolApprovalsQuery,
      (): PendingToolApproval[] =>
        [...this.approvals.entries()]
          .filter(([, s]) => s.status === 'pending')
          .map(([toolCallId, s]) => ({
            toolCallId,
            toolCall: s.toolCall,
            requestedAt: s.requestedAt,
            timeoutMs: s.timeoutMs,
          })),
      {
        description:
          'Tool calls waiting for human approval: answer each with the approveToolCall update { toolCallId, approved, reason? }.',
      },
    );
    setHandler(
      approveToolCallUpdate,
      (req: ApproveToolCallRequest): ApproveToolCallResponse => {
        const state = this.approvals.get(req.toolCallId);
        // The validator ran in this same activation, so the call is known and pending.
        if (!state || state.status !== 'pending') throw notPending(req.toolCallId, state);
        state.status = req.approved ? 'approved' : 'rejected';
        if (req.reason !== undefined) state.reason = req.reason;
        return { toolCallId: req.toolCallId, name: state.toolCall.name, approved: req.approved };
      },
      {
        validator: (req: ApproveToolCallRequest) => {
          if (
            typeof req !== 'object' ||
            req === null ||
            typeof req.toolCallId !== 'string' ||
            req.toolCallId === '' ||
            typeof req.approved !== 'boolean' ||
            (req.reason !== undefined &&
              (typeof req.reason !== 'string' || req.reason.length > MAX_REASON_LENGTH))
          ) {
            throw ApplicationFailure.create({
              type: 'INVALID_INPUT',
              message:
                'approveToolCall expects { toolCallId: non-empty string, approved: boolean, ' +
                `reason?: string of at most ${MAX_REASON_LENGTH} characters }`,
              nonRetryable: true,
            });
          }
          const state = this.approvals.get(req.toolCallId);
          if (!state || state.status !== 'pending') throw notPending(req.toolCallId, state);
        },
        description:
          'Approves or rejects a tool call waiting for human approval: { "toolCallId": "…", "approved": true, "reason": "optional" }.',
      },
    );
  }
}

function notPending(toolCallId: string, state: ApprovalState | undefined): ApplicationFailure {
  if (!state) {
    return ApplicationFailure.create({
      type: 'NOT_FOUND',
      message: `No tool call "${toolCallId}" is awaiting approval in this run.`,
      nonRetryable: true,
    });
  }
  const how = state.status === 'timed_out' ? 'timed out' : state.status;
  return ApplicationFailure.create({
    type: 'CONFLICT',
    message: `Tool call "${toolCallId}" (${state.toolCall.name}) was already decided: ${how}.`,
    nonRetryable: true,
  });
}

/** Whether `executeTool` could not read the arguments by reference (the tool did not run). */
function isArgumentsMissing(err: unknown): boolean {
  if (!isTranscriptMissing(err)) return false;
  const details = ((err as ActivityFailure).cause as ApplicationFailure).details?.[0] as
    { reference?: unknown } | undefined;
  return details?.reference === 'arguments';
}

/** Turns a failed `executeTool` activity into the typed error the agent (and model) sees. */
function fromToolFailure(err: unknown, tool: ToolDeclaration): unknown {
  if (err instanceof ActivityFailure && err.cause instanceof TimeoutFailure) {
    const cause = err.cause;
    const lost =
      cause.timeoutType === 'HEARTBEAT'
        ? 'stopped heartbeating (its worker was probably lost)'
        : `hit its ${String(cause.timeoutType).toLowerCase().replace(/_/g, '-')} timeout`;
    const once = runsOnce(tool)
      ? ' It has side effects and is not declared idempotent, so it was not retried: it may or may not have taken effect.'
      : '';
    return new AgentRuntimeError('TOOL_TIMEOUT', `Tool ${tool.name} ${lost}.${once}`, {
      details: { name: tool.name, timeoutType: cause.timeoutType ?? null, retried: !once },
      cause: err,
    });
  }
  return fromActivityFailure(err, 'TOOL_ERROR', {
    otherPrefix: `Tool ${tool.name} failed: `,
    details: { name: tool.name },
  });
}

/**
 * Makes tool calls of the current run durable: every `ToolRegistry.execute` / `executeWithEvents`
 * inside the run goes through `executeTool` activities, and the `approveToolCall` update is served.
 * Called once by `agentRunWorkflow` before the agent runs.
 */
export function installToolExecution(host: ToolRunHost): WorkflowToolExecutor {
  const executor = new WorkflowToolExecutor(host);
  executor.installHandlers();
  setCurrentToolExecutor(executor);
  return executor;
}
