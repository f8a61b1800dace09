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
  expect(c.runTimeoutSeconds).toBe(300);
  expect(getConfig()).toBe(c);
});

test('the prefixed variable wins over the provider one; numbers and booleans are parsed', () => {
  const env = {
    AGENT_RUNTIME_OPENAI_API_KEY: 'sk-a',
    OPENAI_API_KEY: 'sk-b',
    AGENT_RUNTIME_MAX_RETRIES: '5',
    AGENT_RUNTIME_LANGFUSE_ENABLED: 'true',
  };
  expect(configFromEnv(env)).toMatchObject({
    openaiApiKey: 'sk-a',
    maxRetries: 5,
    langfuseEnabled: true,
  });
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
  expect(() => configure({}, { AGENT_RUNTIME_RUN_TIMEOUT_SECONDS: 'soon' })).toThrow(
    /runTimeoutSeconds.*environment/,
  );
});

test('resetConfig makes getConfig read the environment again', () => {
  configure({ defaultModel: 'a' }, {});
  resetConfig();
  expect(getConfig().defaultModel).toBe(process.env.AGENT_RUNTIME_DEFAULT_MODEL ?? 'gpt-4o');
});
