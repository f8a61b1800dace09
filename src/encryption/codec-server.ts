// Node side only: a codec endpoint, so the Temporal Web UI and CLI can show decrypted payloads.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Payload, PayloadCodec } from '@temporalio/common';

/** Options of `codecServerHandler`. */
export interface CodecServerOptions {
  /** The codecs, as the workers have them (`encryptedDataConverter(options).payloadCodecs`). */
  codecs: PayloadCodec[];
  /**
   * Origins allowed to call from a browser (the Web UI's, e.g. `http://localhost:8233`); `'*'`
   * allows any. @default [] (no browser access: CLI only)
   */
  allowOrigins?: readonly string[];
  /**
   * Decides whether a request may decode (e.g. checks its `authorization` header, which the UI
   * forwards when configured to). Only authorised users should see decrypted payloads.
   * @default every request allowed: bind the server to a trusted interface only
   */
  authorize?: (req: IncomingMessage) => boolean | Promise<boolean>;
  /** Largest request body in bytes. @default 8 MiB */
  maxBodyBytes?: number;
}

interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

function fromJson(p: JsonPayload): Payload {
  const metadata: Record<string, Uint8Array> = {};
  for (const [k, v] of Object.entries(p.metadata ?? {})) metadata[k] = Buffer.from(v, 'base64');
  return { metadata, data: Buffer.from(p.data ?? '', 'base64') };
}

function toJson(p: Payload): JsonPayload {
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(p.metadata ?? {})) {
    if (v) metadata[k] = Buffer.from(v).toString('base64');
  }
  return { metadata, data: Buffer.from(p.data ?? new Uint8Array()).toString('base64') };
}

/**
 * A `node:http` request handler speaking Temporal's remote codec protocol: `POST /encode` and
 * `POST /decode` with `{ payloads: [{ metadata, data }] }` (base64), CORS for `allowOrigins`.
 * Serve it with `createServer(codecServerHandler({ codecs }))` and start the UI with
 * `temporal server start-dev --ui-codec-endpoint http://127.0.0.1:8888` (see docs/encryption.md).
 */
export function codecServerHandler(
  options: CodecServerOptions,
): (req: IncomingMessage, res: ServerResponse) => void {
  const origins = options.allowOrigins ?? [];
  const max = options.maxBodyBytes ?? 8 * 1024 * 1024;
  const send = (res: ServerResponse, status: number, body?: unknown) => {
    res.statusCode = status;
    if (body !== undefined) res.setHeader('content-type', 'application/json');
    res.end(body === undefined ? undefined : JSON.stringify(body));
  };
  return (req, res) => {
    const origin = req.headers.origin;
    if (origin && (origins.includes('*') || origins.includes(origin))) {
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('access-control-allow-methods', 'POST, OPTIONS');
      res.setHeader('access-control-allow-headers', 'content-type, x-namespace, authorization');
      res.setHeader('access-control-allow-credentials', 'true');
      res.setHeader('vary', 'origin');
    }
    if (req.method === 'OPTIONS') return send(res, 204);
    const path = (req.url ?? '').split('?')[0]?.replace(/\/+$/, '') ?? '';
    const op = path.endsWith('/encode') ? 'encode' : path.endsWith('/decode') ? 'decode' : null;
    if (req.method !== 'POST' || !op) return send(res, 404, { error: 'POST /encode or /decode' });
    const chunks: Buffer[] = [];
    let size = 0;
    let tooBig = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) tooBig = true;
      else chunks.push(c);
    });
    req.on('end', () => {
      void (async () => {
        if (tooBig) return send(res, 413, { error: 'request too large' });
        if (options.authorize && !(await options.authorize(req))) {
          return send(res, 403, { error: 'not authorised' });
        }
        let payloads: Payload[];
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
            payloads?: JsonPayload[];
          };
          if (!Array.isArray(body.payloads)) throw new Error('payloads must be an array');
          payloads = body.payloads.map(fromJson);
        } catch (err) {
          return send(res, 400, { error: `bad request: ${(err as Error).message}` });
        }
        let out = payloads;
        const codecs = op === 'encode' ? options.codecs : [...options.codecs].reverse();
        for (const c of codecs) out = await (op === 'encode' ? c.encode(out) : c.decode(out));
        send(res, 200, { payloads: out.map(toJson) });
      })().catch((err: unknown) => {
        send(res, 400, { error: (err as Error).message });
      });
    });
  };
}
