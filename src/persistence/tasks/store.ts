// Node side only: the TaskStore interface and its option types.
import type { JsonValue } from '../../core/types';
import type { ScopeArg } from '../validation';
import type { Task, TaskInput, TaskList, TaskListInput, TaskState } from './models';

/** Fields `TaskStore.update` may change. */
export interface TaskUpdate {
  state?: TaskState;
  name?: string;
  description?: string;
  priority?: number;
  /** `null` clears it. */
  dueAt?: Date | null;
  dependencies?: string[];
  metadata?: Record<string, JsonValue>;
  /** `null` clears it. */
  lastError?: string | null;
}

/** Filters of `TaskStore.list` and `TaskStore.getReady`. */
export interface TaskQuery {
  taskListId?: string;
  conversationId?: string;
  state?: TaskState;
  /** @default unlimited */
  limit?: number;
}

/**
 * Tasks and task lists. The default scope is PROJECT.
 *
 * States move `not_started → in_progress → complete`, any unfinished state may become
 * `cancelled`, `in_progress` may go back to `not_started`, and `complete`/`cancelled` may be
 * reopened to `not_started`; anything else throws `CONFLICT`. `completedAt` is set on completion
 * and cleared on reopening. Dependencies must name tasks of the same scope (`VALIDATION_ERROR`
 * otherwise), may not form a cycle (`DEPENDENCY_CYCLE`), and a task others depend on cannot be
 * deleted (`CONFLICT`). A cancelled dependency never completes, so its dependents never become
 * ready.
 */
export interface TaskStore {
  /** Saves a list with its tasks; tasks of the list missing from `list.tasks` are deleted. */
  saveList(list: TaskListInput, scope?: ScopeArg): Promise<TaskList>;
  /** The list with its tasks in list order, or `null`. */
  getList(id: string, scope?: ScopeArg): Promise<TaskList | null>;
  /** Deletes a list and its tasks; whether it existed. */
  deleteList(id: string, scope?: ScopeArg): Promise<boolean>;
  /** The most recently updated list of a conversation, or `null`. */
  getListByConversation(conversationId: string, scope?: ScopeArg): Promise<TaskList | null>;
  /** Creates or replaces one task. A `taskListId` must name an existing list (`NOT_FOUND`). */
  save(task: TaskInput, scope?: ScopeArg): Promise<Task>;
  get(id: string, scope?: ScopeArg): Promise<Task | null>;
  delete(id: string, scope?: ScopeArg): Promise<boolean>;
  /** Tasks matching the query, in creation order. */
  list(query?: TaskQuery, scope?: ScopeArg): Promise<Task[]>;
  /** Changes fields of a task, enforcing state transitions. Throws `NOT_FOUND` if missing. */
  update(id: string, changes: TaskUpdate, scope?: ScopeArg): Promise<Task>;
  /**
   * Tasks that can start now: `not_started`, every dependency `complete`; ordered by priority
   * (higher first), then due date (earlier first, none last), then creation.
   */
  getReady(query?: Omit<TaskQuery, 'state'>, scope?: ScopeArg): Promise<Task[]>;
  /** Stores resumable state on a task (`checkpointData`, `checkpointAt`). */
  saveCheckpoint(id: string, data: Record<string, JsonValue>, scope?: ScopeArg): Promise<Task>;
  /** Counts one more attempt; `error` becomes `lastError` (omit it to clear). */
  recordAttempt(id: string, error?: string, scope?: ScopeArg): Promise<Task>;
  close(): Promise<void>;
}
