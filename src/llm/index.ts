// Node side: LLM clients and the factory that picks one from configuration.
import { AgentRuntimeError } from '../core/errors';
import type { RuntimeConfig } from '../config';
import { getConfig } from '../config';
import { currentRunLLM } from '../runtime/current';
import { OpenAIClient } from './openai';
import type { LLMClient } from './types';

export { OpenAIClient, type OpenAIClientOptions } from './openai';
export type {
  GenerateOptions,
  LLMClient,
  LLMResponse,
  LLMStreamChunk,
  ToolCallInfo,
  ToolSpec,
} from './types';
export { parseRetryAfter, redactSecrets } from './errors';

/** Options of `getLLMClient` / `createLLMClient` that override configuration. */
export interface LLMClientOverrides {
  apiKey?: string;
  defaultModel?: string;
  baseURL?: string;
}

/**
 * Builds the LLM client a configuration names. Reads keys from the configuration (which reads the
 * environment on the worker); a missing key is a `CONFIG_MISSING` error.
 */
export function createLLMClient(
  config: RuntimeConfig,
  provider: RuntimeConfig['modelProvider'] = config.modelProvider,
  overrides: LLMClientOverrides = {},
): LLMClient {
  const defaultModel = overrides.defaultModel ?? config.defaultModel;
  switch (provider) {
    case 'openai':
      return new OpenAIClient({
        apiKey: overrides.apiKey ?? config.openaiApiKey,
        defaultModel,
        ...(config.openaiOrganization ? { organization: config.openaiOrganization } : {}),
        ...((overrides.baseURL ?? config.openaiBaseUrl)
          ? { baseURL: overrides.baseURL ?? config.openaiBaseUrl }
          : {}),
      });
    case 'litellm':
      return new OpenAIClient({
        apiKey: overrides.apiKey ?? config.openaiApiKey,
        allowMissingApiKey: true,
        providerName: 'litellm',
        defaultModel,
        baseURL: overrides.baseURL ?? config.litellmBaseUrl ?? 'http://127.0.0.1:4000',
      });
    case 'anthropic':
      throw new AgentRuntimeError(
        'CONFIG_INVALID',
        'The Anthropic client is not available in this version; use openai or litellm.',
      );
  }
}

/**
 * The LLM client to use. Inside a run executed in-process (for example by `runAgentTest`) this is
 * the run's client; otherwise one built from `configure()` / the environment. Inside workflow code,
 * import `getLLMClient` from `agent-runtime-core/workflows` instead: it returns the run's
 * activity-backed client.
 */
export function getLLMClient(
  provider?: RuntimeConfig['modelProvider'],
  overrides?: LLMClientOverrides,
): LLMClient {
  const inRun = currentRunLLM();
  if (inRun && provider === undefined && overrides === undefined) return inRun;
  return createLLMClient(getConfig(), provider, overrides);
}
