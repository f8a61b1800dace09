// Node side only: the zod models of tasks and task lists.
import { z } from 'zod';
import { JsonRecord, SafeKey, Timestamp, Uuid, constEnum, newId, now } from '../models';

/** The state of a task. There is no failed state: a failure is recorded in `attempts`/`lastError`. */
export const TaskState = constEnum({
  NOT_STARTED: 'not_started',
  IN_PROGRESS: 'in_progress',
  COMPLETE: 'complete',
  CANCELLED: 'cancelled',
});
/** The state of a task. */
export type TaskState = z.infer<typeof TaskState>;

/** A unit of planned work. */
export const Task = z.object({
  id: Uuid.default(newId),
  name: z.string().min(1),
  description: z.string().default(''),
  state: TaskState.default('not_started'),
  /** A parent task, for sub-tasks. */
  parentId: Uuid.optional(),
  /** The task list this task belongs to, if any. */
  taskListId: Uuid.optional(),
  conversationId: Uuid.optional(),
  createdAt: Timestamp.default(now),
  updatedAt: Timestamp.default(now),
  metadata: JsonRecord.default({}),
  /** Ids of tasks (in the same scope) that must be complete before this one is ready. */
  dependencies: z.array(Uuid).default([]),
  /** Higher runs first. */
  priority: z.number().int().default(0),
  dueAt: Timestamp.optional(),
  /** Set by the store when the task becomes complete; cleared when it is reopened. */
  completedAt: Timestamp.optional(),
  /** State to resume from. */
  checkpointData: JsonRecord.default({}),
  checkpointAt: Timestamp.optional(),
  attempts: z.number().int().min(0).default(0),
  lastError: z.string().optional(),
});
/** A unit of planned work. */
export type Task = z.infer<typeof Task>;
/** What a task may be built from. */
export type TaskInput = z.input<typeof Task>;

/** A named, ordered collection of tasks. */
export const TaskList = z.object({
  id: Uuid.default(newId),
  name: z.string().default(''),
  tasks: z.array(Task).default([]),
  createdAt: Timestamp.default(now),
  updatedAt: Timestamp.default(now),
  conversationId: Uuid.optional(),
  runId: SafeKey.optional(),
});
/** A named, ordered collection of tasks. */
export type TaskList = z.infer<typeof TaskList>;
/** What a task list may be built from. */
export type TaskListInput = z.input<typeof TaskList>;
