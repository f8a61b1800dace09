// Node side: LLM clients and the factory that picks one from configuration.
import { AgentRuntimeError } from '../core/errors';
import type { RuntimeConfig } from '../config';
import { getConfig } from '../config';
import { AnthropicClient } from './anthropic';
import { LiteLLMClient, OpenAIClient } from './openai';
import type { LLMClient } from '../core/llm-types';

export {
  OpenAIClient,
  LiteLLMClient,
  type OpenAIClientOptions,
  type LiteLLMClientOptions,
} from './openai';
export { AnthropicClient, type AnthropicClientOptions } from './anthropic';
export {
  generateObject,
  generateStructured,
  toResponseFormat,
  checkStructured,
  type RawModelCall,
  type StructuredCheck,
} from '../runtime/structured-output';
export { estimateCost, type ModelPrice, type PriceTable } from './cost';
export { StreamedText, type AssistantDeltaPayload, type AssistantRetryPayload } from './deltas';
export type {
  ResponseFormat,
  GenerateOptions,
  LLMClient,
  LLMResponse,
  LLMStreamChunk,
  ToolSpec,
} from '../core/llm-types';
export { parseRetryAfter, redactSecrets } from './errors';

/** Options of `createLLMClient` that override configuration. */
export interface LLMClientOverrides {
  /** API key (else from configuration / the provider's environment variable). */
  apiKey?: string;
  /** Model used when a call names none. @default config.defaultModel */
  defaultModel?: string;
  /** Base URL of the provider's API. @default the configured one, else the provider's */
  baseURL?: string;
  /** OpenAI organization id (OpenAI only). @default config.openaiOrganization */
  organization?: string;
}

/**
 * Builds the LLM client a configuration names. Reads keys from the configuration (which reads the
 * environment on the worker); a missing key is a `CONFIG_MISSING` error.
 */
export function createLLMClient(
  config: RuntimeConfig = getConfig(),
  provider: RuntimeConfig['modelProvider'] = config.modelProvider,
  overrides: LLMClientOverrides = {},
): LLMClient {
  const defaultModel = overrides.defaultModel ?? config.defaultModel;
  switch (provider) {
    case 'openai':
      return new OpenAIClient({
        apiKey: overrides.apiKey ?? config.openaiApiKey,
        defaultModel,
        ...((overrides.organization ?? config.openaiOrganization)
          ? { organization: overrides.organization ?? config.openaiOrganization }
          : {}),
        ...((overrides.baseURL ?? config.openaiBaseUrl)
          ? { baseURL: overrides.baseURL ?? config.openaiBaseUrl }
          : {}),
      });
    case 'litellm': {
      const apiKey = overrides.apiKey ?? config.litellmApiKey;
      return new LiteLLMClient({
        defaultModel,
        baseURL: overrides.baseURL ?? config.litellmBaseUrl ?? 'http://127.0.0.1:4000',
        ...(apiKey ? { apiKey } : {}),
      });
    }
    case 'anthropic': {
      const baseURL = overrides.baseURL ?? config.anthropicBaseUrl;
      const apiKey = overrides.apiKey ?? config.anthropicApiKey;
      return new AnthropicClient({
        ...(apiKey ? { apiKey } : {}),
        // The global default model is an OpenAI name unless set: keep Anthropic's own default then.
        ...(overrides.defaultModel || config.defaultModel !== 'gpt-4o' ? { defaultModel } : {}),
        ...(baseURL ? { baseURL } : {}),
      });
    }
    default:
      throw new AgentRuntimeError(
        'CONFIG_INVALID',
        `Unknown model provider "${String(provider)}"; supported: openai, anthropic, litellm.`,
        { details: { provider } },
      );
  }
}
