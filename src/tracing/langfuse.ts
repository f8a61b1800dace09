// Node side (workers): traces to Langfuse through its OpenTelemetry endpoint.
//
// Why not `@langfuse/otel`: its `LangfuseSpanProcessor` (v4/v5) is built on OpenTelemetry JS SDK
// 2.x (`@opentelemetry/sdk-trace-base` ^2), while `@temporalio/interceptors-opentelemetry` 1.24
// (which links client, workflow and activity spans) is built on SDK 1.x; the two span shapes
// differ. Langfuse documents its OTLP/HTTP endpoint (`/api/public/otel/v1/traces`, Basic auth
// with the public and secret key) as the way in for any OpenTelemetry exporter, and maps the
// `gen_ai.*` and `langfuse.observation.*` attributes our spans carry, so the standard OTLP
// exporter of SDK 1.x sends the same spans there.
import { Buffer } from 'node:buffer';
import type * as OtlpHttp from '@opentelemetry/exporter-trace-otlp-http';
import { BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { AgentRuntimeError } from '../core/errors';

/** Where and as whom to send traces to Langfuse. */
export interface LangfuseExportOptions {
  /** Public key (`pk-lf-…`). */
  publicKey: string;
  /** Secret key (`sk-lf-…`). */
  secretKey: string;
  /** Base URL of Langfuse. @default 'https://cloud.langfuse.com' */
  host?: string;
}

/** The OTLP/HTTP traces URL of a Langfuse host. */
export function langfuseTracesUrl(host = 'https://cloud.langfuse.com'): string {
  return `${host.replace(/\/+$/, '')}/api/public/otel/v1/traces`;
}

/**
 * A span processor that batches spans to Langfuse's OpenTelemetry endpoint. Add it to your
 * tracer provider (and give it to `createAgentWorker({ openTelemetry: { spanProcessor } })`), or
 * let the worker build it from `configure({ langfuseEnabled: true, … })`.
 * Throws `CONFIG_MISSING` without both keys.
 */
export function langfuseSpanProcessor(options: LangfuseExportOptions): SpanProcessor {
  if (!options.publicKey || !options.secretKey) {
    throw new AgentRuntimeError(
      'CONFIG_MISSING',
      'Langfuse tracing needs langfusePublicKey and langfuseSecretKey (or LANGFUSE_PUBLIC_KEY and LANGFUSE_SECRET_KEY)',
    );
  }
  const auth = Buffer.from(`${options.publicKey}:${options.secretKey}`).toString('base64');
  // Loaded on first use: the OTLP exporter costs every worker a few MiB, and only Langfuse needs it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use
  const otlp = require('@opentelemetry/exporter-trace-otlp-http') as typeof OtlpHttp;
  return new BatchSpanProcessor(
    new otlp.OTLPTraceExporter({
      url: langfuseTracesUrl(options.host),
      headers: { Authorization: `Basic ${auth}` },
    }),
    { scheduledDelayMillis: 1000 },
  );
}
