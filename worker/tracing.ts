// Node side: the worker's tracing: trace events for the `TraceSink`s and (when OpenTelemetry is
// on) one span per model call, tool call and step attempt, with GenAI semantic-convention
// attributes, as children of the Temporal activity span. Both come from one activity interceptor
// that reads the activities' inputs and outputs, so the activities themselves know nothing of it.
import {
  SpanKind,
  SpanStatusCode,
  context,
  trace,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import type { Context as ActivityContext } from '@temporalio/activity';
import type {
  ActivityExecuteInput,
  ActivityInboundCallsInterceptor,
  ActivityInterceptors,
  InjectedSinks,
  Next,
} from '@temporalio/worker';
import type {
  ExecuteToolInput,
  InvokeModelInput,
  InvokeModelOutput,
  RunStepInput,
} from '../src/core/activity-contract';
import type { RunTraceSinks } from '../src/core/trace-contract';
import type { Usage } from '../src/core/types';
import type { TraceDispatcher, TraceEvent } from '../src/tracing/trace-sink';
import { sentMessagesOf } from '../activities/sent-messages';

/** What the tracing interceptor needs. */
export interface TracingDeps {
  /** The worker's trace sinks. */
  dispatcher: TraceDispatcher;
  /** Makes the GenAI spans; none without OpenTelemetry. */
  tracer?: Tracer | undefined;
  /** Observers of every finished model/tool/step attempt (metrics). */
  observers?: ((event: TraceEvent) => void)[];
  /** Puts prompts and outputs on model-call spans (`gen_ai.input.messages`, …). @default false */
  recordContent?: boolean;
}

/** A failure as trace events carry it. */
function errorOf(err: unknown): { type: string; message: string } {
  const e = err as { type?: unknown; name?: unknown; message?: unknown };
  const type =
    typeof e?.type === 'string' ? e.type : typeof e?.name === 'string' ? e.name : 'Error';
  return { type, message: typeof e?.message === 'string' ? e.message : String(err) };
}

function usageOf(u: Partial<Usage> | undefined): {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  costUsd?: number;
} {
  return {
    promptTokens: u?.promptTokens ?? 0,
    completionTokens: u?.completionTokens ?? 0,
    totalTokens: u?.totalTokens ?? 0,
    ...(u?.cost !== undefined ? { costUsd: u.cost } : {}),
  };
}

/** The one activity this interceptor traces, with what it reads of the input. */
type Traced =
  | { kind: 'model'; input: InvokeModelInput }
  | { kind: 'tool'; input: ExecuteToolInput }
  | { kind: 'step'; input: RunStepInput };

function classify(activityType: string, args: unknown[]): Traced | undefined {
  const input = args[0];
  if (!input || typeof input !== 'object') return undefined;
  if (activityType === 'invokeModel') return { kind: 'model', input: input as InvokeModelInput };
  if (activityType === 'executeTool') return { kind: 'tool', input: input as ExecuteToolInput };
  if (activityType === 'runStep') return { kind: 'step', input: input as RunStepInput };
  return undefined;
}

/** Records a model call's input messages on its span (GenAI and Langfuse attributes). */
function recordInput(span: Span, messages: readonly unknown[]): void {
  const text = JSON.stringify(messages);
  span.setAttribute('gen_ai.input.messages', text);
  span.setAttribute('langfuse.observation.input', text);
}

class TracingActivityInbound implements ActivityInboundCallsInterceptor {
  constructor(
    private readonly ctx: ActivityContext,
    private readonly deps: TracingDeps,
  ) {}

  async execute(
    input: ActivityExecuteInput,
    next: Next<ActivityInboundCallsInterceptor, 'execute'>,
  ): Promise<unknown> {
    const traced = classify(this.ctx.info.activityType, input.args);
    if (!traced) return next(input);
    const span = this.startSpan(traced);
    const started = Date.now();
    const run = () => next(input);
    try {
      const out = span
        ? await context.with(trace.setSpan(context.active(), span), run)
        : await run();
      this.finished(traced, started, span, out, undefined);
      return out;
    } catch (err) {
      this.finished(traced, started, span, undefined, err);
      throw err;
    }
  }

  /** The run of a traced call (inputs by reference leave it out when it is the workflow id). */
  private runIdOf(traced: Traced): string {
    return traced.input.runId ?? this.ctx.info.workflowExecution?.workflowId ?? '';
  }

  private startSpan(traced: Traced): Span | undefined {
    const tracer = this.deps.tracer;
    if (!tracer) return undefined;
    try {
      const attempt = this.ctx.info.attempt;
      const common = {
        'agent_runtime.run_id': this.runIdOf(traced),
        'temporal.activity.attempt': attempt,
        'agent_runtime.retry': attempt > 1,
      };
      if (traced.kind === 'model') {
        const model = traced.input.options?.model;
        const span = tracer.startSpan(`chat${model ? ` ${model}` : ''}`, {
          kind: SpanKind.CLIENT,
          attributes: {
            ...common,
            'gen_ai.operation.name': 'chat',
            ...(model ? { 'gen_ai.request.model': model } : {}),
            'agent_runtime.turn': traced.input.turn,
            'agent_runtime.stream': traced.input.stream === true,
          },
        });
        // Langfuse shows chat spans as generations.
        span.setAttribute('langfuse.observation.type', 'generation');
        if (model) span.setAttribute('langfuse.observation.model.name', model);
        if (this.deps.recordContent) {
          // A call by reference carries only the messages new since the previous call.
          recordInput(
            span,
            'messages' in traced.input ? traced.input.messages : traced.input.newMessages,
          );
        }
        return span;
      }
      if (traced.kind === 'tool') {
        return tracer.startSpan(`execute_tool ${traced.input.name}`, {
          kind: SpanKind.INTERNAL,
          attributes: {
            ...common,
            'gen_ai.operation.name': 'execute_tool',
            'gen_ai.tool.name': traced.input.name,
            'gen_ai.tool.call.id': traced.input.toolCallId,
          },
        });
      }
      return tracer.startSpan(`step ${traced.input.stepName}`, {
        kind: SpanKind.INTERNAL,
        attributes: {
          ...common,
          'agent_runtime.step.name': traced.input.stepName,
          'agent_runtime.step.index': traced.input.stepIndex,
        },
      });
    } catch {
      // Tracing never fails an activity.
      return undefined;
    }
  }

  private finished(
    traced: Traced,
    started: number,
    span: Span | undefined,
    out: unknown,
    err: unknown,
  ): void {
    try {
      const event = this.eventOf(traced, started, out, err);
      // A call by reference leaves its stored tool results empty in its input: record them as
      // the model got them.
      const sent = traced.kind === 'model' ? sentMessagesOf(this.ctx) : undefined;
      if (span && sent && this.deps.recordContent) recordInput(span, sent);
      if (span) endSpan(span, event, out, err, this.deps.recordContent === true);
      if (this.deps.dispatcher.enabled) {
        this.deps.dispatcher.trace(event);
        if (err !== undefined) {
          this.deps.dispatcher.trace({
            type: 'error',
            runId: event.runId,
            timestamp: event.timestamp,
            source: event.type,
            errorType: errorOf(err).type,
            message: errorOf(err).message,
            attempt: this.ctx.info.attempt,
          });
        }
      }
      for (const observe of this.deps.observers ?? []) observe(event);
    } catch {
      // Tracing never fails an activity.
    }
  }

  private eventOf(traced: Traced, started: number, out: unknown, err: unknown): TraceEvent {
    const base = {
      runId: this.runIdOf(traced),
      timestamp: new Date().toISOString(),
      attempt: this.ctx.info.attempt,
      latencyMs: Date.now() - started,
      ...(err !== undefined ? { error: errorOf(err) } : {}),
    };
    if (traced.kind === 'model') {
      const o = out as InvokeModelOutput | undefined;
      const requestModel = traced.input.options?.model;
      return {
        type: 'model.call',
        ...base,
        turn: traced.input.turn,
        stream: traced.input.stream === true,
        ...(requestModel ? { requestModel } : {}),
        ...(o?.model ? { model: o.model } : {}),
        ...(o?.finishReason ? { finishReason: o.finishReason } : {}),
        ...usageOf(o?.usage),
      };
    }
    if (traced.kind === 'tool') {
      return {
        type: 'tool.call',
        ...base,
        tool: traced.input.name,
        toolCallId: traced.input.toolCallId,
      };
    }
    return {
      type: 'step',
      ...base,
      step: traced.input.stepName,
      stepIndex: traced.input.stepIndex,
    };
  }
}

function endSpan(
  span: Span,
  event: TraceEvent,
  out: unknown,
  err: unknown,
  recordContent: boolean,
): void {
  if (event.type === 'model.call') {
    if (event.model) span.setAttribute('gen_ai.response.model', event.model);
    if (event.finishReason)
      span.setAttribute('gen_ai.response.finish_reasons', [event.finishReason]);
    span.setAttribute('gen_ai.usage.input_tokens', event.promptTokens);
    span.setAttribute('gen_ai.usage.output_tokens', event.completionTokens);
    span.setAttribute(
      'langfuse.observation.usage_details',
      JSON.stringify({
        input: event.promptTokens,
        output: event.completionTokens,
        total: event.totalTokens,
      }),
    );
    if (event.model) span.setAttribute('langfuse.observation.model.name', event.model);
    if (event.costUsd !== undefined) {
      span.setAttribute('agent_runtime.cost_usd', event.costUsd);
      span.setAttribute('gen_ai.usage.cost', event.costUsd);
      span.setAttribute(
        'langfuse.observation.cost_details',
        JSON.stringify({ total: event.costUsd }),
      );
    }
    if (recordContent && out) {
      const o = out as InvokeModelOutput;
      const text = JSON.stringify([o.message]);
      span.setAttribute('gen_ai.output.messages', text);
      span.setAttribute('langfuse.observation.output', text);
    }
  }
  if (err !== undefined) {
    const e = errorOf(err);
    span.setAttribute('error.type', e.type);
    span.setStatus({ code: SpanStatusCode.ERROR, message: e.message });
    if (err instanceof Error) span.recordException(err);
  }
  span.end();
}

/** The activity interceptor factory of the worker's tracing. */
export function tracingActivityInterceptor(
  deps: TracingDeps,
): (ctx: ActivityContext) => ActivityInterceptors {
  return (ctx) => ({ inbound: new TracingActivityInbound(ctx, deps) });
}

/** The workflow sink through which runs report their start and end (never during replay). */
export function runTraceSinks(
  dispatcher: TraceDispatcher,
  observers: ((event: TraceEvent) => void)[] = [],
): InjectedSinks<RunTraceSinks> {
  const emit = (event: TraceEvent) => {
    try {
      dispatcher.trace(event);
      for (const observe of observers) observe(event);
    } catch {
      // Tracing never fails a run.
    }
  };
  return {
    agentRuntimeTrace: {
      runStarted: {
        fn: (_info, run) =>
          emit({ type: 'run.start', timestamp: new Date().toISOString(), ...run }),
        callDuringReplay: false,
      },
      runEnded: {
        fn: (_info, run) => {
          const { usage, ...rest } = run;
          const timestamp = new Date().toISOString();
          emit({ type: 'run.end', timestamp, ...rest, ...usageOf(usage) });
          if (run.error) {
            emit({
              type: 'error',
              runId: run.runId,
              timestamp,
              source: 'run',
              errorType: run.error.type,
              message: run.error.message,
            });
          }
        },
        callDuringReplay: false,
      },
    },
  };
}
