// Node side: the `agent-runtime-core/server` entry: the HTTP API (REST + SSE) over AgentRunner.
export {
  createAgentApp,
  OWNER_MEMO_KEY,
  type AgentAppOptions,
  type AgentAppCorsOptions,
} from './app';
export {
  bearerTokenAuth,
  ownerOnly,
  LOCAL_PRINCIPAL,
  type AuthenticateHook,
  type AuthorizeHook,
  type OwnedResource,
  type Principal,
} from './auth';
export { serve, type AgentServer, type ServeOptions } from './serve';
export { buildOpenApiDocument } from './openapi';
export { httpStatusOf, type ErrorResponse } from './errors';
export {
  AgentApiClient,
  AgentApiError,
  type AgentApiClientOptions,
  type StreamedRunEvent,
} from './client';
