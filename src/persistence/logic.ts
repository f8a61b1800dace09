// Node side only: rules every store implementation shares, so memory and Postgres agree.
import { AgentRuntimeError } from '../core/errors';
import { Task } from './models';
import type { ConversationMessage, MetricSummary, TaskState } from './models';
import type { TaskUpdate } from './stores';
import { parseModel } from './validation';

const TRANSITIONS: Record<TaskState, readonly TaskState[]> = {
  not_started: ['in_progress', 'complete', 'cancelled'],
  in_progress: ['not_started', 'complete', 'cancelled'],
  complete: ['not_started'],
  cancelled: ['not_started'],
};

/** Throws `CONFLICT` unless a task may move from `from` to `to` (staying put is always allowed). */
export function checkTransition(taskId: string, from: TaskState, to: TaskState): void {
  if (from === to || TRANSITIONS[from].includes(to)) return;
  throw new AgentRuntimeError('CONFLICT', `Task ${taskId} cannot go from ${from} to ${to}`, {
    details: { taskId, from, to },
  });
}

/** `completedAt` after a move to `to`: set on completion, kept while complete, cleared otherwise. */
export function completedAtAfter(
  to: TaskState,
  previous: Date | undefined,
  now: Date,
): Date | undefined {
  if (to !== 'complete') return undefined;
  return previous ?? now;
}

/** The error for a dependency cycle through `taskId`. */
export function cycleError(taskId: string): AgentRuntimeError {
  return new AgentRuntimeError(
    'DEPENDENCY_CYCLE',
    `Task dependencies would form a cycle through task ${taskId}`,
    {
      details: { taskId },
    },
  );
}

/** The error for a dependency on a task that does not exist in the scope. */
export function unknownDependencyError(taskId: string, dependency: string): AgentRuntimeError {
  return new AgentRuntimeError(
    'VALIDATION_ERROR',
    `Invalid task.dependencies: task ${dependency} (a dependency of ${taskId}) does not exist`,
    {
      details: { field: 'task.dependencies', taskId, dependency },
    },
  );
}

/** The error for deleting a task others still depend on. */
export function dependedOnError(taskId: string, dependents: string[]): AgentRuntimeError {
  return new AgentRuntimeError(
    'CONFLICT',
    `Task ${taskId} cannot be deleted: tasks ${dependents.join(', ')} depend on it`,
    {
      details: { taskId, dependents },
    },
  );
}

/** Cosine similarity; 0 when either vector is all zeros. */
export function cosineSimilarity(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

/** Percentile with linear interpolation, as Postgres `percentile_cont` computes it. */
export function percentileCont(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const pos = p * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] ?? 0;
  const b = sorted[hi] ?? 0;
  return a + (b - a) * (pos - lo);
}

/** Aggregates of a list of values. */
export function summarize(values: readonly number[]): MetricSummary {
  if (values.length === 0)
    return { count: 0, min: 0, max: 0, avg: 0, sum: 0, p50: 0, p95: 0, p99: 0 };
  const sorted = [...values].sort((x, y) => x - y);
  const sum = sorted.reduce((s, v) => s + v, 0);
  return {
    count: sorted.length,
    min: sorted[0] ?? 0,
    max: sorted[sorted.length - 1] ?? 0,
    avg: sum / sorted.length,
    sum,
    p50: percentileCont(sorted, 0.5),
    p95: percentileCont(sorted, 0.95),
    p99: percentileCont(sorted, 0.99),
  };
}

/** Validates a paging/limit number. */
export function checkLimit(value: number | undefined, fallback: number, field: string): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < 0) {
    throw new AgentRuntimeError(
      'VALIDATION_ERROR',
      `Invalid ${field}: must be a non-negative integer`,
      {
        details: { field },
      },
    );
  }
  return v;
}

/** The error for a message that names an unknown branch without saying where it forks. */
export function unknownBranchError(branchId: string): AgentRuntimeError {
  return new AgentRuntimeError(
    'VALIDATION_ERROR',
    `Invalid message.parentMessageId: branch ${branchId} does not exist, so its first message must name the message it replaces`,
    { details: { field: 'message.parentMessageId', branchId } },
  );
}

/** A message as copied into a fork: on the fork's main branch. */
export function stripBranch(m: ConversationMessage): ConversationMessage {
  const { branchId: _b, parentMessageId: _p, ...rest } = m;
  return rest;
}

/** Applies `changes` to a task, validating them and the state transition. */
export function applyTaskUpdate(prev: Task, changes: TaskUpdate): Task {
  const now = new Date();
  const { dueAt: _d, lastError: _e, completedAt: _c, ...rest } = prev;
  const state = changes.state ?? prev.state;
  checkTransition(prev.id, prev.state, state);
  const dueAt = changes.dueAt === undefined ? prev.dueAt : (changes.dueAt ?? undefined);
  const lastError =
    changes.lastError === undefined ? prev.lastError : (changes.lastError ?? undefined);
  const completedAt = completedAtAfter(state, prev.completedAt, now);
  return parseModel(
    Task,
    {
      ...rest,
      ...(changes.name === undefined ? {} : { name: changes.name }),
      ...(changes.description === undefined ? {} : { description: changes.description }),
      ...(changes.priority === undefined ? {} : { priority: changes.priority }),
      ...(changes.dependencies === undefined ? {} : { dependencies: changes.dependencies }),
      ...(changes.metadata === undefined ? {} : { metadata: changes.metadata }),
      state,
      updatedAt: now,
      ...(dueAt ? { dueAt } : {}),
      ...(lastError === undefined ? {} : { lastError }),
      ...(completedAt ? { completedAt } : {}),
    },
    'task',
  );
}

/** Priority (higher first), then due date (earlier first, none last), then creation. */
export function compareReady(a: Task, b: Task): number {
  if (a.priority !== b.priority) return b.priority - a.priority;
  const da = a.dueAt?.getTime() ?? Number.POSITIVE_INFINITY;
  const db = b.dueAt?.getTime() ?? Number.POSITIVE_INFINITY;
  if (da !== db) return da < db ? -1 : 1;
  return a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * A task as a save will store it: the transition from `prev` checked, `createdAt` kept from the
 * stored copy, `completedAt` set when (and only while) it is complete.
 */
export function prepareTask(task: Task, prev: Task | undefined, now: Date): Task {
  if (prev) checkTransition(task.id, prev.state, task.state);
  const completedAt =
    task.state === 'complete' ? (task.completedAt ?? prev?.completedAt ?? now) : undefined;
  const { completedAt: _c, ...rest } = task;
  return deepClone({
    ...rest,
    createdAt: prev?.createdAt ?? task.createdAt,
    updatedAt: now,
    ...(completedAt ? { completedAt } : {}),
  });
}

/** The error for saving a conversation whose `activeBranchId` names no branch. */
export function unknownActiveBranch(branchId: string): AgentRuntimeError {
  return new AgentRuntimeError(
    'VALIDATION_ERROR',
    `Invalid conversation.activeBranchId: branch ${branchId} does not exist`,
    {
      details: { field: 'conversation.activeBranchId', branchId },
    },
  );
}

/**
 * Deep copy of plain data (objects, arrays, Dates). Not `structuredClone`: that creates Dates of
 * the realm it runs in, which fail `instanceof Date` checks in another realm (Jest's VM, for one).
 */
export function deepClone<T>(value: T): T {
  if (value instanceof Date) return new Date(value.getTime()) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => deepClone(v)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, deepClone(v)])) as T;
  }
  return value;
}
