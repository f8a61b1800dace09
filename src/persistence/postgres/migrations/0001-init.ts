// Node side only: migration 1. Kept as a TS string module so it ships in `dist/` without a copy step.
//
// Free text and JSON (message content, values, metadata) live in `text` columns holding
// `JSON.stringify` output: JSON escapes NUL as `\u0000` and lone surrogates as `\udXXX`, so any
// JS string round-trips intact, which neither Postgres `text` (no NUL) nor `jsonb` (no `\u0000`)
// would allow. Columns that are looked up or ordered by are plain columns beside the document.

/** Schema version 1: every persistence, state and event table. */
export const migration0001 = {
  version: 1,
  name: 'init',
  sql: `
CREATE TABLE kv_entries (
  namespace text NOT NULL,
  scope text NOT NULL,
  scope_id text NOT NULL,
  key text COLLATE "C" NOT NULL,
  value_json text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (namespace, scope, scope_id, key)
);

CREATE TABLE conversations (
  scope text NOT NULL,
  scope_id text NOT NULL,
  id text NOT NULL,
  agent_key text,
  active_branch_id text NOT NULL DEFAULT '',
  next_seq bigint NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  doc text NOT NULL,
  PRIMARY KEY (scope, scope_id, id)
);
CREATE INDEX conversations_recent ON conversations (scope, scope_id, updated_at DESC, id DESC);

CREATE TABLE conversation_branches (
  scope text NOT NULL,
  scope_id text NOT NULL,
  conversation_id text NOT NULL,
  branch_id text NOT NULL,
  parent_branch_id text NOT NULL,
  fork_message_id text NOT NULL,
  fork_seq bigint NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (scope, scope_id, conversation_id, branch_id),
  FOREIGN KEY (scope, scope_id, conversation_id) REFERENCES conversations ON DELETE CASCADE
);

CREATE TABLE conversation_messages (
  scope text NOT NULL,
  scope_id text NOT NULL,
  conversation_id text NOT NULL,
  id text NOT NULL,
  seq bigint NOT NULL,
  branch_id text NOT NULL DEFAULT '',
  ts timestamptz NOT NULL,
  doc text NOT NULL,
  PRIMARY KEY (scope, scope_id, conversation_id, id),
  UNIQUE (scope, scope_id, conversation_id, seq),
  FOREIGN KEY (scope, scope_id, conversation_id) REFERENCES conversations ON DELETE CASCADE
);
CREATE INDEX conversation_messages_branch ON conversation_messages (scope, scope_id, conversation_id, branch_id, seq);

CREATE TABLE task_lists (
  scope text NOT NULL,
  scope_id text NOT NULL,
  id text NOT NULL,
  conversation_id text,
  run_id text,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  doc text NOT NULL,
  PRIMARY KEY (scope, scope_id, id)
);
CREATE INDEX task_lists_conversation ON task_lists (scope, scope_id, conversation_id, updated_at DESC);

CREATE TABLE tasks (
  scope text NOT NULL,
  scope_id text NOT NULL,
  id text NOT NULL,
  task_list_id text,
  conversation_id text,
  state text NOT NULL,
  priority integer NOT NULL,
  due_at timestamptz,
  created_at timestamptz NOT NULL,
  pos bigserial,
  doc text NOT NULL,
  PRIMARY KEY (scope, scope_id, id)
);
CREATE INDEX tasks_ready ON tasks (scope, scope_id, state, priority DESC, due_at);
CREATE INDEX tasks_list ON tasks (scope, scope_id, task_list_id);

CREATE TABLE task_dependencies (
  scope text NOT NULL,
  scope_id text NOT NULL,
  task_id text NOT NULL,
  depends_on text NOT NULL,
  PRIMARY KEY (scope, scope_id, task_id, depends_on),
  FOREIGN KEY (scope, scope_id, task_id) REFERENCES tasks ON DELETE CASCADE
);
CREATE INDEX task_dependencies_reverse ON task_dependencies (scope, scope_id, depends_on);

CREATE TABLE facts (
  scope text NOT NULL,
  scope_id text NOT NULL,
  id text NOT NULL,
  key text NOT NULL,
  fact_type text NOT NULL,
  expires_at timestamptz,
  updated_at timestamptz NOT NULL,
  doc text NOT NULL,
  PRIMARY KEY (scope, scope_id, id),
  UNIQUE (scope, scope_id, key)
);

CREATE TABLE summaries (
  scope text NOT NULL,
  scope_id text NOT NULL,
  id text NOT NULL,
  conversation_ids text[] NOT NULL,
  created_at timestamptz NOT NULL,
  doc text NOT NULL,
  PRIMARY KEY (scope, scope_id, id)
);

CREATE TABLE embeddings (
  scope text NOT NULL,
  scope_id text NOT NULL,
  id text NOT NULL,
  content_type text NOT NULL,
  dimensions integer NOT NULL,
  vector float8[] NOT NULL,
  norm float8 NOT NULL,
  created_at timestamptz NOT NULL,
  doc text NOT NULL,
  PRIMARY KEY (scope, scope_id, id)
);
CREATE INDEX embeddings_dims ON embeddings (scope, scope_id, dimensions);

CREATE TABLE audit_entries (
  scope text NOT NULL,
  scope_id text NOT NULL,
  id text NOT NULL,
  pos bigserial,
  event_type text NOT NULL,
  ts timestamptz NOT NULL,
  conversation_id text,
  run_id text,
  agent_key text,
  doc text NOT NULL,
  PRIMARY KEY (scope, scope_id, id)
);
CREATE INDEX audit_entries_ts ON audit_entries (scope, scope_id, ts DESC);
CREATE INDEX audit_entries_run ON audit_entries (run_id);

CREATE TABLE error_records (
  scope text NOT NULL,
  scope_id text NOT NULL,
  id text NOT NULL,
  pos bigserial,
  severity text NOT NULL,
  resolved boolean NOT NULL,
  ts timestamptz NOT NULL,
  conversation_id text,
  run_id text,
  agent_key text,
  doc text NOT NULL,
  PRIMARY KEY (scope, scope_id, id)
);
CREATE INDEX error_records_ts ON error_records (scope, scope_id, ts DESC);

CREATE TABLE metrics (
  scope text NOT NULL,
  scope_id text NOT NULL,
  id text NOT NULL,
  pos bigserial,
  name text NOT NULL,
  value float8 NOT NULL,
  ts timestamptz NOT NULL,
  conversation_id text,
  run_id text,
  agent_key text,
  tags jsonb NOT NULL,
  doc text NOT NULL,
  PRIMARY KEY (scope, scope_id, id)
);
CREATE INDEX metrics_name_ts ON metrics (scope, scope_id, name, ts DESC);

CREATE TABLE run_checkpoints (
  run_id text NOT NULL,
  pos bigserial,
  state_json text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (run_id, pos)
);

CREATE TABLE run_statuses (
  run_id text PRIMARY KEY,
  status text NOT NULL,
  details_json text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE run_events (
  run_id text NOT NULL,
  seq bigint NOT NULL,
  type text NOT NULL,
  payload_json text NOT NULL,
  ts text NOT NULL,
  PRIMARY KEY (run_id, seq)
);
`,
};
