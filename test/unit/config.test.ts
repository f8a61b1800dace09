import { configure, configFromEnv, getConfig, resetConfig } from '../../src/config';
import { AgentRuntimeError } from '../../src/core/errors';

afterEach(() => resetConfig());

test('defaults, then environment, then options', () => {
  const c = configure(
    { defaultModel: 'gpt-4o-mini' },
    {
      AGENT_RUNTIME_MODEL_PROVIDER: 'litellm',
      AGENT_RUNTIME_DEFAULT_MODEL: 'x',
      OPENAI_API_KEY: 'sk-env',
    },
  );
  expect(c.modelProvider).toBe('litellm');
  expect(c.defaultModel).toBe('gpt-4o-mini');
  expect(c.openaiApiKey).toBe('sk-env');
  expect(c.runTimeout).toBe('300s');
  expect(c.modelCall).toBeUndefined();
  expect(getConfig()).toBe(c);
});

test('the prefixed variable wins over the provider one; durations, JSON and booleans are parsed', () => {
  const env = {
    AGENT_RUNTIME_OPENAI_API_KEY: 'sk-a',
    OPENAI_API_KEY: 'sk-b',
    AGENT_RUNTIME_RUN_TIMEOUT: '2h',
    AGENT_RUNTIME_MODEL_CALL: '{"retry":{"maximumAttempts":6},"heartbeatTimeout":"10s"}',
    AGENT_RUNTIME_LANGFUSE_ENABLED: 'true',
  };
  expect(configFromEnv(env)).toMatchObject({
    openaiApiKey: 'sk-a',
    runTimeout: '2h',
    modelCall: { retry: { maximumAttempts: 6 }, heartbeatTimeout: '10s' },
    langfuseEnabled: true,
  });
  // A bare number is milliseconds, as in every Temporal duration.
  expect(configFromEnv({ AGENT_RUNTIME_RUN_TIMEOUT: '90000' })).toEqual({ runTimeout: 90_000 });
  expect(configure({}, env).modelCall).toEqual({
    retry: { maximumAttempts: 6 },
    heartbeatTimeout: '10s',
  });
});

test('settings and variables of earlier versions are CONFIG_INVALID errors naming the new name', () => {
  expect(() => configure({ runTimeoutSeconds: 60 } as never, {})).toThrow(
    /runTimeoutSeconds was renamed: use runTimeout/,
  );
  expect(() => configure({}, { AGENT_RUNTIME_MAX_RETRIES: '5' })).toThrow(
    /AGENT_RUNTIME_MAX_RETRIES was renamed: use AGENT_RUNTIME_MODEL_CALL/,
  );
  expect(() => configure({}, { AGENT_RUNTIME_RUN_TIMEOUT_SECONDS: '60' })).toThrow(
    /use AGENT_RUNTIME_RUN_TIMEOUT/,
  );
});

test('an unknown option is a clear CONFIG_INVALID error', () => {
  let caught: unknown;
  try {
    configure({ modelProvidr: 'openai' } as never, {});
  } catch (err) {
    caught = err;
  }
  expect(AgentRuntimeError.is(caught)).toBe(true);
  expect((caught as AgentRuntimeError).code).toBe('CONFIG_INVALID');
  expect((caught as AgentRuntimeError).message).toContain(
    'Unknown configuration option: modelProvidr',
  );
});

test('a bad value names the option, also when it comes from the environment', () => {
  expect(() => configure({ modelProvider: 'cohere' as never }, {})).toThrow(/modelProvider/);
  expect(() => configure({}, { AGENT_RUNTIME_RUN_TIMEOUT: 'soon' })).toThrow(
    /runTimeout.*must be a duration.*environment/,
  );
  expect(() => configure({ modelCall: { retry: { maximumAttempts: 0 } } }, {})).toThrow(
    /modelCall\.retry\.maximumAttempts must be an integer >= 1/,
  );
});

test('resetConfig makes getConfig read the environment again', () => {
  configure({ defaultModel: 'a' }, {});
  resetConfig();
  expect(getConfig().defaultModel).toBe(process.env.AGENT_RUNTIME_DEFAULT_MODEL ?? 'gpt-4o');
});

test('queueBackend (a seed setting) is refused with why: Temporal task queues are the queue', () => {
  expect(() => configure({ queueBackend: 'redis' } as never, {})).toThrow(
    /queueBackend is not supported: .*Temporal task queues are the queue.*taskQueue/,
  );
  expect(() => configure({}, { AGENT_RUNTIME_QUEUE_BACKEND: 'redis' })).toThrow(
    /AGENT_RUNTIME_QUEUE_BACKEND is not supported: .*AGENT_RUNTIME_TASK_QUEUE/,
  );
});

test("stateStoreBackend 'sqlite' with its file, from options or the environment", () => {
  expect(configure({ stateStoreBackend: 'sqlite' }, {}).stateStoreBackend).toBe('sqlite');
  const c = configure(
    {},
    { AGENT_RUNTIME_STATE_STORE_BACKEND: 'sqlite', AGENT_RUNTIME_SQLITE_PATH: '/tmp/s.db' },
  );
  expect(c).toMatchObject({ stateStoreBackend: 'sqlite', sqlitePath: '/tmp/s.db' });
});
