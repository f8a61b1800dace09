// Node side (workers): Prometheus metrics of agent runs, fed by the same trace events as the
// trace sinks, and a small HTTP endpoint that serves them. Temporal's own worker metrics come
// from its runtime (`Runtime.install({ telemetryOptions: { metrics: { prometheus } } })`).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Histogram, Registry } from 'prom-client';
import type { TraceEvent } from './trace-sink';

/** Options of `AgentMetrics`. */
export interface AgentMetricsOptions {
  /** Registry to register the metrics in. @default a new registry of their own */
  registry?: Registry;
  /** Prefix of every metric name. @default 'agent_runtime_' */
  prefix?: string;
}

/**
 * Counters and histograms of a worker's runs: runs by agent and outcome, model calls, tokens and
 * cost by model, tool calls and errors, step attempts and retries. Give it to
 * `createAgentWorker({ metrics })` and serve it with `serveMetrics`.
 */
export class AgentMetrics {
  /** The registry holding the metrics (`await registry.metrics()` is the exposition text). */
  readonly registry: Registry;
  private readonly runs: Counter;
  private readonly modelCalls: Counter;
  private readonly tokens: Counter;
  private readonly cost: Counter;
  private readonly latency: Histogram;
  private readonly toolCalls: Counter;
  private readonly stepAttempts: Counter;
  private readonly stepRetries: Counter;

  constructor(options: AgentMetricsOptions = {}) {
    this.registry = options.registry ?? new Registry();
    const p = options.prefix ?? 'agent_runtime_';
    const registers = [this.registry];
    this.runs = new Counter({
      name: `${p}runs_total`,
      help: 'Runs that ended, by agent and outcome (succeeded, failed, cancelled, timed_out).',
      labelNames: ['agent', 'outcome'],
      registers,
    });
    this.modelCalls = new Counter({
      name: `${p}model_calls_total`,
      help: 'Model call attempts, by model and outcome (ok, error).',
      labelNames: ['model', 'outcome'],
      registers,
    });
    this.tokens = new Counter({
      name: `${p}tokens_total`,
      help: 'Tokens of model calls, by model and kind (prompt, completion).',
      labelNames: ['model', 'kind'],
      registers,
    });
    this.cost = new Counter({
      name: `${p}cost_usd_total`,
      help: "Cost of model calls in dollars by the workers' modelPrices, by model.",
      labelNames: ['model'],
      registers,
    });
    this.latency = new Histogram({
      name: `${p}model_call_duration_seconds`,
      help: 'Duration of model call attempts.',
      labelNames: ['model'],
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers,
    });
    this.toolCalls = new Counter({
      name: `${p}tool_calls_total`,
      help: 'Tool call attempts, by tool and outcome (ok, error).',
      labelNames: ['tool', 'outcome'],
      registers,
    });
    this.stepAttempts = new Counter({
      name: `${p}step_attempts_total`,
      help: 'Step attempts, by step and outcome (ok, error).',
      labelNames: ['step', 'outcome'],
      registers,
    });
    this.stepRetries = new Counter({
      name: `${p}step_retries_total`,
      help: 'Step attempts after the first (retries), by step.',
      labelNames: ['step'],
      registers,
    });
  }

  /** Counts one trace event (what the worker calls for each). */
  observe(event: TraceEvent): void {
    switch (event.type) {
      case 'run.end':
        this.runs.inc({ agent: event.agentKey, outcome: event.status });
        return;
      case 'model.call': {
        const model = event.model ?? event.requestModel ?? 'unknown';
        this.modelCalls.inc({ model, outcome: event.error ? 'error' : 'ok' });
        this.tokens.inc({ model, kind: 'prompt' }, event.promptTokens);
        this.tokens.inc({ model, kind: 'completion' }, event.completionTokens);
        if (event.costUsd !== undefined) this.cost.inc({ model }, event.costUsd);
        this.latency.observe({ model }, event.latencyMs / 1000);
        return;
      }
      case 'tool.call':
        this.toolCalls.inc({ tool: event.tool, outcome: event.error ? 'error' : 'ok' });
        return;
      case 'step':
        this.stepAttempts.inc({ step: event.step, outcome: event.error ? 'error' : 'ok' });
        if (event.attempt > 1) this.stepRetries.inc({ step: event.step });
        return;
      default:
        return;
    }
  }
}

/** Options of `serveMetrics`. */
export interface ServeMetricsOptions {
  /** Port; 0 picks a free one. @default 9464 */
  port?: number;
  /** Interface to bind. @default '127.0.0.1' */
  host?: string;
}

/** A running metrics endpoint. */
export interface MetricsServer {
  /** `http://host:port/metrics`. */
  readonly url: string;
  /** Stops serving. */
  close(): Promise<void>;
}

/** Serves `registries` (merged) as Prometheus text on `GET /metrics`. */
export async function serveMetrics(
  registries: Registry | readonly Registry[],
  options: ServeMetricsOptions = {},
): Promise<MetricsServer> {
  const list: Registry[] = registries instanceof Registry ? [registries] : [...registries];
  const merged = Registry.merge(list);
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    merged.metrics().then(
      (text) => res.writeHead(200, { 'content-type': merged.contentType }).end(text),
      (err: unknown) => res.writeHead(500).end(String(err)),
    );
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 9464, host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}/metrics`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
