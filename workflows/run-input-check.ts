// Sandbox-safe: checks the shape of a run's input without building a schema per run. A zod schema
// here would be constructed again by every run (each run evaluates the workflow modules afresh in
// the reusable V8 context); this plain check costs nothing until called. It accepts what the
// `Message` schema of `src/core/types.ts` accepts (test/unit/workflows/run-input-check.test.ts
// compares the two).

const ROLES = new Set(['system', 'user', 'assistant', 'tool']);

type Check = (value: unknown, path: string) => string | undefined;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const str: Check = (v, path) =>
  typeof v === 'string' ? undefined : `${path}: expected string, received ${kind(v)}`;
const nonEmptyStr: Check = (v, path) =>
  str(v, path) ?? ((v as string).length > 0 ? undefined : `${path}: expected a non-empty string`);
const record: Check = (v, path) =>
  isRecord(v) ? undefined : `${path}: expected object, received ${kind(v)}`;

function optional(check: Check): Check {
  return (v, path) => (v === undefined ? undefined : check(v, path));
}

function arrayOf(check: Check): Check {
  return (v, path) => {
    if (!Array.isArray(v)) return `${path}: expected array, received ${kind(v)}`;
    for (let i = 0; i < v.length; i++) {
      const bad = check(v[i], `${path}.${i}`);
      if (bad) return bad;
    }
    return undefined;
  };
}

function object(fields: Record<string, Check>): Check {
  return (v, path) => {
    if (!isRecord(v)) return `${path}: expected object, received ${kind(v)}`;
    for (const [key, check] of Object.entries(fields)) {
      const bad = check(v[key], path ? `${path}.${key}` : key);
      if (bad) return bad;
    }
    return undefined;
  };
}

function kind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

const content: Check = (v, path) => {
  if (v === undefined || v === null || typeof v === 'string') return undefined;
  if (Array.isArray(v)) return arrayOf(record)(v, path);
  return `${path}: expected string, array of parts or null, received ${kind(v)}`;
};

const messageToolCall = object({
  id: str,
  type: (v, path) => (v === 'function' ? undefined : `${path}: expected "function"`),
  function: object({ name: str, arguments: str }),
});

/** Checks one chat message (the `Message` schema's rules); returns what is wrong, or undefined. */
export const checkMessage: Check = object({
  role: (v, path) =>
    typeof v === 'string' && ROLES.has(v)
      ? undefined
      : `${path}: expected one of system, user, assistant, tool`,
  content,
  name: optional(str),
  tool_call_id: optional(str),
  tool_calls: optional(arrayOf(messageToolCall)),
  metadata: optional(record),
});

const runInput = object({
  agentKey: nonEmptyStr,
  runId: nonEmptyStr,
  conversationId: optional(str),
  messages: arrayOf(checkMessage),
  params: optional(record),
  metadata: optional(record),
  // Durations and the model-call options are checked by `checkOptions` (errors name the option).
  runTimeout: optional((v, path) =>
    typeof v === 'string' || typeof v === 'number'
      ? undefined
      : `${path}: expected string or number, received ${kind(v)}`,
  ),
  modelCall: optional(record),
  budget: optional(record),
  persistence: optional(
    object({
      runEvents: optional(bool),
      conversations: optional(bool),
      checkpoints: optional(bool),
    }),
  ),
  // Checked in the workflow by `checkOptions` / `checkContinued`.
  continueAsNew: optional(record),
  continued: optional(record),
  resultByReference: optional(bool),
  inlinePayloadLimit: optional((v, path) =>
    typeof v === 'number' && Number.isFinite(v) && v > 0
      ? undefined
      : `${path}: expected a positive number, received ${kind(v)}`,
  ),
});

function bool(v: unknown, path: string): string | undefined {
  return typeof v === 'boolean' ? undefined : `${path}: expected boolean, received ${kind(v)}`;
}

/**
 * Checks a run's input (`AgentRunInput`) field by field; returns the first problem as
 * `<path>: <what is wrong>` (`(root)` for the input itself), or undefined when it is valid.
 */
export function checkRunInput(input: unknown): string | undefined {
  const bad = runInput(input, '');
  return bad?.startsWith(': ') ? `(root)${bad}` : bad;
}
