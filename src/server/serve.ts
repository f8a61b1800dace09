// Node side (server): the API as a standalone HTTP server.
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { serve as honoServe } from '@hono/node-server';
import { AgentRuntimeError } from '../core/errors';
import { createAgentApp, type AgentAppOptions } from './app';
import { bearerTokenAuth } from './auth';

/** Options of `serve`: the app's options, with bearer tokens as the default authentication. */
export interface ServeOptions extends Omit<AgentAppOptions, 'auth'> {
  /**
   * Authentication: a hook, `'none'` (local development only), or left out to use `tokens`.
   * @default bearerTokenAuth(tokens)
   */
  auth?: AgentAppOptions['auth'];
  /** Bearer tokens accepted, each mapped to the principal id it stands for. */
  tokens?: Record<string, string>;
  /** Port to listen on; 0 picks a free one. @default 8080 */
  port?: number;
  /** Interface to listen on. @default '127.0.0.1' */
  hostname?: string;
  /** Path the API is mounted under, e.g. `'/api'`. @default '' (the root) */
  basePath?: string;
}

/** A running server. */
export interface AgentServer {
  /** `http://host:port` (plus the base path). */
  url: string;
  port: number;
  /** Stops accepting connections and closes open ones (event streams included). */
  close(): Promise<void>;
}

/**
 * Serves the API (`createAgentApp`) over HTTP. Without `auth`, requests need
 * `Authorization: Bearer <token>` with one of `tokens`; with neither, it refuses to start
 * (`CONFIG_MISSING`) rather than serve an open API.
 */
export async function serve(options: ServeOptions): Promise<AgentServer> {
  let auth = options.auth;
  if (auth === undefined) {
    if (!options.tokens || Object.keys(options.tokens).length === 0) {
      throw new AgentRuntimeError(
        'CONFIG_MISSING',
        "serve(): give `tokens` (bearer tokens → principal ids), an `auth` hook, or auth: 'none' for local development",
      );
    }
    auth = bearerTokenAuth(options.tokens);
  }
  const { tokens: _t, port: _p, hostname: _h, basePath, ...rest } = options;
  const api = createAgentApp({ ...rest, auth });
  const app = basePath ? new (await import('hono')).Hono().route(basePath, api) : api;
  const hostname = options.hostname ?? '127.0.0.1';
  const server = await new Promise<Server>((resolve, reject) => {
    const s = honoServe({ fetch: app.fetch, port: options.port ?? 8080, hostname }, () =>
      resolve(s),
    ) as Server;
    s.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;
  const host = hostname.includes(':') ? `[${hostname}]` : hostname;
  return {
    url: `http://${host}:${port}${basePath ?? ''}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
