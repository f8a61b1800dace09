// Node side only: the task rules both TaskStore implementations share (state transitions,
// dependency errors, readiness order), so memory and Postgres agree.
import { AgentRuntimeError } from '../../core/errors';
import { compareCodePoints, deepClone } from '../logic';
import { parseModel } from '../validation';
import { Task } from './models';
import type { TaskState } from './models';
import type { TaskUpdate } from './store';

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
  return a.createdAt.getTime() - b.createdAt.getTime() || compareCodePoints(a.id, b.id);
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
