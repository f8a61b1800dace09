// Node side only: the Postgres TaskStore. It speaks `pg` only, so it runs
// on a Postgres server and on PGlite; it never migrates (run `migrate(pool)` first).
import {
  checkCheckpointData,
  checkOptionalText,
  checkTaskQuery,
  checkTaskUpdate,
} from '../arguments';
import type { PoolClient } from 'pg';
import type { JsonValue } from '../../core/types';
import { checkLimit } from '../logic';
import { Scope } from '../models';
import type { Queryable } from '../postgres/sql';
import { decodeJson, encodeJson, query } from '../postgres/sql';
import { PostgresStoreBase } from '../postgres/store-base';
import type { PostgresStoreOptions } from '../postgres/store-base';
import type { ResolvedScope, ScopeArg } from '../validation';
import { notFound, parseId, parseModel } from '../validation';
import {
  applyTaskUpdate,
  cycleError,
  dependedOnError,
  prepareTask,
  unknownDependencyError,
} from './logic';
import { Task, TaskList } from './models';
import type { TaskInput, TaskListInput } from './models';
import type { TaskQuery, TaskStore, TaskUpdate } from './store';

function decodeTask(doc: string): Task {
  return parseModel(Task, decodeJson(doc), 'storedTask');
}

/**
 * Postgres `TaskStore`. Every write that can change the dependency graph holds a transaction
 * advisory lock per scope, so two concurrent writes cannot each pass the cycle check and
 * together form a cycle.
 */
export class PostgresTaskStore extends PostgresStoreBase implements TaskStore {
  constructor(options: PostgresStoreOptions) {
    super(options, Scope.PROJECT);
  }

  private async lockGraph(c: PoolClient, s: ResolvedScope): Promise<void> {
    await c.query(
      `SELECT pg_advisory_xact_lock(hashtext('agent_runtime_core.tasks'), hashtext($1 || ':' || $2))`,
      [s.scope, s.scopeId],
    );
  }

  private async loadTasks(
    c: Queryable,
    s: ResolvedScope,
    ids: string[],
  ): Promise<Map<string, Task>> {
    const res = await c.query<{ doc: string }>(
      'SELECT doc FROM tasks WHERE scope = $1 AND scope_id = $2 AND id = ANY($3::text[])',
      [s.scope, s.scopeId, ids],
    );
    return new Map(res.rows.map((r) => [decodeTask(r.doc).id, decodeTask(r.doc)]));
  }

  private async writeTask(c: PoolClient, s: ResolvedScope, t: Task): Promise<void> {
    await c.query(
      `INSERT INTO tasks (scope, scope_id, id, task_list_id, conversation_id, state, priority, due_at, created_at, doc)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT (scope, scope_id, id) DO UPDATE SET task_list_id = EXCLUDED.task_list_id, conversation_id = EXCLUDED.conversation_id,
         state = EXCLUDED.state, priority = EXCLUDED.priority, due_at = EXCLUDED.due_at, doc = EXCLUDED.doc`,
      [
        s.scope,
        s.scopeId,
        t.id,
        t.taskListId ?? null,
        t.conversationId ?? null,
        t.state,
        t.priority,
        t.dueAt ?? null,
        t.createdAt,
        encodeJson(t),
      ],
    );
  }

  private async writeDependencies(c: PoolClient, s: ResolvedScope, t: Task): Promise<void> {
    await c.query(
      'DELETE FROM task_dependencies WHERE scope = $1 AND scope_id = $2 AND task_id = $3',
      [s.scope, s.scopeId, t.id],
    );
    await c.query(
      'INSERT INTO task_dependencies (scope, scope_id, task_id, depends_on) SELECT $1, $2, $3, d FROM unnest($4::text[]) AS d ON CONFLICT DO NOTHING',
      [s.scope, s.scopeId, t.id, t.dependencies],
    );
  }

  /** Rejects dependencies on missing tasks and cycles through any of `changed`. */
  private async checkGraph(c: PoolClient, s: ResolvedScope, changed: string[]): Promise<void> {
    const dangling = await c.query<{ task_id: string; depends_on: string }>(
      `SELECT d.task_id, d.depends_on FROM task_dependencies d
       WHERE d.scope = $1 AND d.scope_id = $2 AND d.task_id = ANY($3::text[])
         AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.scope = d.scope AND t.scope_id = d.scope_id AND t.id = d.depends_on)
       LIMIT 1`,
      [s.scope, s.scopeId, changed],
    );
    const bad = dangling.rows[0];
    if (bad) throw unknownDependencyError(bad.task_id, bad.depends_on);
    const cycle = await c.query<{ start: string }>(
      `WITH RECURSIVE reach(start, id) AS (
         SELECT task_id, depends_on FROM task_dependencies WHERE scope = $1 AND scope_id = $2 AND task_id = ANY($3::text[])
         UNION
         SELECT r.start, d.depends_on FROM reach r
           JOIN task_dependencies d ON d.scope = $1 AND d.scope_id = $2 AND d.task_id = r.id
       )
       SELECT start FROM reach WHERE start = id LIMIT 1`,
      [s.scope, s.scopeId, changed],
    );
    const loop = cycle.rows[0];
    if (loop) throw cycleError(loop.start);
  }

  private async assertNotDependedOn(
    c: PoolClient,
    s: ResolvedScope,
    doomed: string[],
  ): Promise<void> {
    const res = await c.query<{ task_id: string; depends_on: string }>(
      `SELECT task_id, depends_on FROM task_dependencies
       WHERE scope = $1 AND scope_id = $2 AND depends_on = ANY($3::text[]) AND NOT (task_id = ANY($3::text[]))`,
      [s.scope, s.scopeId, doomed],
    );
    const first = res.rows[0];
    if (first)
      throw dependedOnError(
        first.depends_on,
        res.rows.filter((r) => r.depends_on === first.depends_on).map((r) => r.task_id),
      );
  }

  async saveList(input: TaskListInput, scope?: ScopeArg): Promise<TaskList> {
    const list = parseModel(TaskList, input, 'taskList');
    const s = this.scope(scope);
    await this.tx(async (c) => {
      await this.lockGraph(c, s);
      const { tasks, ...meta } = list;
      const prevList = await c.query<{ created_at: Date }>(
        'SELECT created_at FROM task_lists WHERE scope = $1 AND scope_id = $2 AND id = $3',
        [s.scope, s.scopeId, list.id],
      );
      const createdAt = prevList.rows[0]?.created_at ?? meta.createdAt;
      await c.query(
        `INSERT INTO task_lists (scope, scope_id, id, conversation_id, run_id, created_at, updated_at, doc) VALUES ($1, $2, $3, $4, $5, $6, clock_timestamp(), $7)
         ON CONFLICT (scope, scope_id, id) DO UPDATE SET conversation_id = EXCLUDED.conversation_id, run_id = EXCLUDED.run_id,
           updated_at = clock_timestamp(), doc = EXCLUDED.doc`,
        [
          s.scope,
          s.scopeId,
          list.id,
          meta.conversationId ?? null,
          meta.runId ?? null,
          createdAt,
          encodeJson({ ...meta, tasks: [] }),
        ],
      );
      const prev = await this.loadTasks(
        c,
        s,
        tasks.map((t) => t.id),
      );
      const now = new Date();
      for (const t of tasks) {
        const prepared = prepareTask({ ...t, taskListId: list.id }, prev.get(t.id), now);
        await this.writeTask(c, s, prepared);
        await this.writeDependencies(c, s, prepared);
      }
      const keep = tasks.map((t) => t.id);
      const doomedRes = await c.query<{ id: string }>(
        'SELECT id FROM tasks WHERE scope = $1 AND scope_id = $2 AND task_list_id = $3 AND NOT (id = ANY($4::text[]))',
        [s.scope, s.scopeId, list.id, keep],
      );
      const doomed = doomedRes.rows.map((r) => r.id);
      if (doomed.length > 0) {
        await this.assertNotDependedOn(c, s, doomed);
        await c.query(
          'DELETE FROM tasks WHERE scope = $1 AND scope_id = $2 AND id = ANY($3::text[])',
          [s.scope, s.scopeId, doomed],
        );
      }
      await this.checkGraph(c, s, keep);
    });
    return (await this.getList(list.id, scope)) as TaskList;
  }

  async getList(id: string, scope?: ScopeArg): Promise<TaskList | null> {
    parseId(id, 'id');
    const s = this.scope(scope);
    const pool = await this.pool();
    const rows = await query<{ doc: string; created_at: Date; updated_at: Date }>(
      pool,
      'SELECT doc, created_at, updated_at FROM task_lists WHERE scope = $1 AND scope_id = $2 AND id = $3',
      [s.scope, s.scopeId, id],
    );
    const row = rows[0];
    if (!row) return null;
    const tasks = await query<{ doc: string }>(
      pool,
      'SELECT doc FROM tasks WHERE scope = $1 AND scope_id = $2 AND task_list_id = $3 ORDER BY pos',
      [s.scope, s.scopeId, id],
    );
    const doc = decodeJson(row.doc) as Record<string, unknown>;
    return parseModel(
      TaskList,
      {
        ...doc,
        tasks: tasks.map((t) => decodeTask(t.doc)),
        createdAt: row.created_at,
        updatedAt: row.updated_at,
      },
      'storedTaskList',
    );
  }

  async deleteList(id: string, scope?: ScopeArg): Promise<boolean> {
    parseId(id, 'id');
    const s = this.scope(scope);
    return this.tx(async (c) => {
      await this.lockGraph(c, s);
      const doomed = (
        await c.query<{ id: string }>(
          'SELECT id FROM tasks WHERE scope = $1 AND scope_id = $2 AND task_list_id = $3',
          [s.scope, s.scopeId, id],
        )
      ).rows.map((r) => r.id);
      await this.assertNotDependedOn(c, s, doomed);
      await c.query(
        'DELETE FROM tasks WHERE scope = $1 AND scope_id = $2 AND id = ANY($3::text[])',
        [s.scope, s.scopeId, doomed],
      );
      const res = await c.query(
        'DELETE FROM task_lists WHERE scope = $1 AND scope_id = $2 AND id = $3 RETURNING 1',
        [s.scope, s.scopeId, id],
      );
      return res.rows.length > 0;
    });
  }

  async getListByConversation(conversationId: string, scope?: ScopeArg): Promise<TaskList | null> {
    parseId(conversationId, 'conversationId');
    const s = this.scope(scope);
    const rows = await this.q<{ id: string }>(
      'SELECT id FROM task_lists WHERE scope = $1 AND scope_id = $2 AND conversation_id = $3 ORDER BY updated_at DESC LIMIT 1',
      [s.scope, s.scopeId, conversationId],
    );
    return rows[0] ? this.getList(rows[0].id, scope) : null;
  }

  async save(input: TaskInput, scope?: ScopeArg): Promise<Task> {
    const task = parseModel(Task, input, 'task');
    const s = this.scope(scope);
    return this.tx(async (c) => {
      await this.lockGraph(c, s);
      if (task.taskListId !== undefined) {
        const l = await c.query(
          'SELECT 1 FROM task_lists WHERE scope = $1 AND scope_id = $2 AND id = $3',
          [s.scope, s.scopeId, task.taskListId],
        );
        if (l.rows.length === 0) throw notFound('TaskList', task.taskListId);
      }
      const prev = (await this.loadTasks(c, s, [task.id])).get(task.id);
      const prepared = prepareTask(task, prev, new Date());
      await this.writeTask(c, s, prepared);
      await this.writeDependencies(c, s, prepared);
      await this.checkGraph(c, s, [task.id]);
      return prepared;
    });
  }

  async get(id: string, scope?: ScopeArg): Promise<Task | null> {
    parseId(id, 'id');
    const s = this.scope(scope);
    const rows = await this.q<{ doc: string }>(
      'SELECT doc FROM tasks WHERE scope = $1 AND scope_id = $2 AND id = $3',
      [s.scope, s.scopeId, id],
    );
    return rows[0] ? decodeTask(rows[0].doc) : null;
  }

  async delete(id: string, scope?: ScopeArg): Promise<boolean> {
    parseId(id, 'id');
    const s = this.scope(scope);
    return this.tx(async (c) => {
      await this.lockGraph(c, s);
      await this.assertNotDependedOn(c, s, [id]);
      const res = await c.query(
        'DELETE FROM tasks WHERE scope = $1 AND scope_id = $2 AND id = $3 RETURNING 1',
        [s.scope, s.scopeId, id],
      );
      return res.rows.length > 0;
    });
  }

  async list(qIn?: TaskQuery, scope?: ScopeArg): Promise<Task[]> {
    const q = checkTaskQuery(qIn);
    const s = this.scope(scope);
    const limit = q.limit === undefined ? null : checkLimit(q.limit, 0, 'limit');
    const rows = await this.q<{ doc: string }>(
      `SELECT doc FROM tasks WHERE scope = $1 AND scope_id = $2
         AND ($3::text IS NULL OR task_list_id = $3) AND ($4::text IS NULL OR conversation_id = $4) AND ($5::text IS NULL OR state = $5)
       ORDER BY pos LIMIT $6`,
      [s.scope, s.scopeId, q.taskListId ?? null, q.conversationId ?? null, q.state ?? null, limit],
    );
    return rows.map((r) => decodeTask(r.doc));
  }

  async update(id: string, changes: TaskUpdate, scope?: ScopeArg): Promise<Task> {
    parseId(id, 'id');
    checkTaskUpdate(changes);
    const s = this.scope(scope);
    return this.tx(async (c) => {
      if (changes.dependencies !== undefined) await this.lockGraph(c, s);
      const res = await c.query<{ doc: string }>(
        'SELECT doc FROM tasks WHERE scope = $1 AND scope_id = $2 AND id = $3 FOR UPDATE',
        [s.scope, s.scopeId, id],
      );
      const row = res.rows[0];
      if (!row) throw notFound('Task', id);
      const next = applyTaskUpdate(decodeTask(row.doc), changes);
      await this.writeTask(c, s, next);
      if (changes.dependencies !== undefined) {
        await this.writeDependencies(c, s, next);
        await this.checkGraph(c, s, [id]);
      }
      return next;
    });
  }

  async getReady(qIn?: Omit<TaskQuery, 'state'>, scope?: ScopeArg): Promise<Task[]> {
    const q = checkTaskQuery(qIn);
    const s = this.scope(scope);
    const limit = q.limit === undefined ? null : checkLimit(q.limit, 0, 'limit');
    const rows = await this.q<{ doc: string }>(
      `SELECT t.doc FROM tasks t
       WHERE t.scope = $1 AND t.scope_id = $2 AND t.state = 'not_started'
         AND ($3::text IS NULL OR t.task_list_id = $3) AND ($4::text IS NULL OR t.conversation_id = $4)
         AND NOT EXISTS (
           SELECT 1 FROM task_dependencies d
           JOIN tasks u ON u.scope = d.scope AND u.scope_id = d.scope_id AND u.id = d.depends_on
           WHERE d.scope = t.scope AND d.scope_id = t.scope_id AND d.task_id = t.id AND u.state <> 'complete')
       ORDER BY t.priority DESC, t.due_at ASC NULLS LAST, t.created_at, t.id COLLATE "C"
       LIMIT $5`,
      [s.scope, s.scopeId, q.taskListId ?? null, q.conversationId ?? null, limit],
    );
    return rows.map((r) => decodeTask(r.doc));
  }

  private async modify(
    id: string,
    scope: ScopeArg | undefined,
    fn: (t: Task) => Task,
  ): Promise<Task> {
    const s = this.scope(scope);
    return this.tx(async (c) => {
      const res = await c.query<{ doc: string }>(
        'SELECT doc FROM tasks WHERE scope = $1 AND scope_id = $2 AND id = $3 FOR UPDATE',
        [s.scope, s.scopeId, id],
      );
      const row = res.rows[0];
      if (!row) throw notFound('Task', id);
      const next = fn(decodeTask(row.doc));
      await this.writeTask(c, s, next);
      return next;
    });
  }

  async saveCheckpoint(
    id: string,
    data: Record<string, JsonValue>,
    scope?: ScopeArg,
  ): Promise<Task> {
    parseId(id, 'id');
    checkCheckpointData(data);
    parseId(id, 'id');
    return this.modify(id, scope, (t) => {
      const now = new Date();
      return parseModel(
        Task,
        { ...t, checkpointData: data, checkpointAt: now, updatedAt: now },
        'task',
      );
    });
  }

  async recordAttempt(id: string, error?: string, scope?: ScopeArg): Promise<Task> {
    parseId(id, 'id');
    checkOptionalText(error, 'error');
    return this.modify(id, scope, (t) => {
      const { lastError: _l, ...rest } = t;
      return parseModel(
        Task,
        {
          ...rest,
          attempts: t.attempts + 1,
          updatedAt: new Date(),
          ...(error === undefined ? {} : { lastError: error }),
        },
        'task',
      );
    });
  }
}
