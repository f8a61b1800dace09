import { AgentRuntime } from '../../src/runtime/agent';
import {
  clearRegistry,
  getRuntime,
  hasRuntime,
  listRuntimes,
  registerRuntime,
  unregisterRuntime,
} from '../../src/runtime/registry';
import { AgentRuntimeError } from '../../src/core/errors';
import { EventType, isTransientEventType } from '../../src/core/events';

class A extends AgentRuntime {
  constructor(private readonly k: string) {
    super();
  }
  get key() {
    return this.k;
  }
  async run() {
    return { finalOutput: {} };
  }
}

afterEach(() => clearRegistry());

test('register, get, list, unregister', () => {
  const a = new A('a');
  registerRuntime(new A('b'));
  registerRuntime(a);
  expect(getRuntime('a')).toBe(a);
  expect(listRuntimes()).toEqual(['a', 'b']);
  expect(hasRuntime('b')).toBe(true);
  expect(unregisterRuntime('b')).toBe(true);
  expect(unregisterRuntime('b')).toBe(false);
  expect(listRuntimes()).toEqual(['a']);
});

test('a duplicate key is an error unless replace is asked for', () => {
  registerRuntime(new A('a'));
  expect(() => registerRuntime(new A('a'))).toThrow(/already registered/);
  const b = new A('a');
  registerRuntime(b, { replace: true });
  expect(getRuntime('a')).toBe(b);
});

test('an unknown key is AGENT_NOT_FOUND naming the registered keys', () => {
  registerRuntime(new A('known'));
  try {
    getRuntime('nope');
    throw new Error('expected a throw');
  } catch (err) {
    expect(AgentRuntimeError.is(err) && err.code).toBe('AGENT_NOT_FOUND');
    expect((err as Error).message).toContain('known');
  }
});

test('an empty key is rejected', () => {
  expect(() => registerRuntime(new A(''))).toThrow(/non-empty/);
});

test('EventType holds every built-in name: the 17 seed values, ERROR, the tool approval events, assistant.retry, budget.exceeded, run.terminated (synthesized by clients) and run.continued; CHECKPOINT aliases STATE_CHECKPOINT', () => {
  const values = new Set(Object.values(EventType));
  expect(values.size).toBe(24);
  expect(EventType.BUDGET_EXCEEDED).toBe('budget.exceeded');
  expect(EventType.RUN_TERMINATED).toBe('run.terminated');
  expect(EventType.RUN_CONTINUED).toBe('run.continued');
  expect(EventType.TOOL_APPROVAL_REQUESTED).toBe('tool.approval_requested');
  expect(EventType.TOOL_APPROVAL_DECIDED).toBe('tool.approval_decided');
  expect(EventType.ASSISTANT_RETRY).toBe('assistant.retry');
  expect(
    [...values].filter(isTransientEventType).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
  ).toEqual(['assistant.delta', 'assistant.retry']);
  expect(EventType.CHECKPOINT).toBe(EventType.STATE_CHECKPOINT);
  expect(EventType.ERROR).toBe('error');
  expect(EventType.RUN_TIMED_OUT).toBe('run.timed_out');
});
