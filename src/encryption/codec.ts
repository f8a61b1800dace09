// Node side only: AES-256-GCM encryption of Temporal payloads, with key ids for rotation.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { AgentRuntimeError } from '../core/errors';

/** `encoding` metadata of an encrypted payload. */
export const ENCRYPTED_ENCODING = 'binary/encrypted';
/** Metadata key naming the key a payload was encrypted with. */
export const ENCRYPTION_KEY_ID = 'encryption-key-id';
/** Metadata key naming the cipher. */
const CIPHER_METADATA = 'encryption-cipher';
const CIPHER = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A 256-bit key: 32 bytes, or their base64 (44 characters) or hex (64 characters) text. */
export type EncryptionKey = Uint8Array | string;

/** Options of `AesGcmPayloadCodec` and `encryptedDataConverter`. */
export interface EncryptionOptions {
  /**
   * The keys by id. Payloads are decrypted with the key their metadata names, so keep old keys
   * here as long as histories (and retained runs) encrypted with them exist.
   */
  keys: Readonly<Record<string, EncryptionKey>>;
  /** The id of the key new payloads are encrypted with (rotate by adding a key and naming it here). */
  encryptWith: string;
}

function keyBytes(id: string, key: EncryptionKey): Buffer {
  let bytes: Buffer | undefined;
  if (typeof key === 'string') {
    if (/^[0-9a-f]{64}$/i.test(key)) bytes = Buffer.from(key, 'hex');
    else if (/^[A-Za-z0-9+/]{43}=$/.test(key)) bytes = Buffer.from(key, 'base64');
  } else if (key instanceof Uint8Array) {
    bytes = Buffer.from(key);
  }
  if (!bytes || bytes.length !== 32) {
    throw new AgentRuntimeError(
      'CONFIG_INVALID',
      `Encryption key "${id}" must be 32 bytes (a Uint8Array, 44 characters of base64 or 64 of hex); ` +
        "make one with `openssl rand -base64 32` or `randomBytes(32).toString('base64')`",
      { details: { field: `keys.${id}` } },
    );
  }
  return bytes;
}

const text = new TextEncoder();

/**
 * A Temporal `PayloadCodec` that encrypts every payload with AES-256-GCM (node:crypto): a fresh
 * 12-byte IV per payload, the GCM tag appended, the whole original payload (data and metadata)
 * inside. The key id travels in the metadata: new payloads use `encryptWith`, any listed key
 * decrypts. Payloads not encrypted (from before encryption was turned on) pass through decode.
 */
export class AesGcmPayloadCodec implements PayloadCodec {
  private readonly keys: ReadonlyMap<string, Buffer>;
  private readonly current: { id: string; key: Buffer };

  constructor(options: EncryptionOptions) {
    if (!options || typeof options !== 'object' || typeof options.keys !== 'object') {
      throw new AgentRuntimeError(
        'CONFIG_INVALID',
        'Encryption options need `keys` and `encryptWith`',
        {
          details: { field: 'keys' },
        },
      );
    }
    const keys = new Map<string, Buffer>();
    for (const [id, key] of Object.entries(options.keys)) {
      if (!id)
        throw new AgentRuntimeError('CONFIG_INVALID', 'An encryption key id must not be empty');
      keys.set(id, keyBytes(id, key));
    }
    const current = keys.get(options.encryptWith);
    if (!current) {
      throw new AgentRuntimeError(
        'CONFIG_INVALID',
        `encryptWith names key "${String(options.encryptWith)}", which is not in keys (${[...keys.keys()].join(', ') || 'none'})`,
        { details: { field: 'encryptWith' } },
      );
    }
    this.keys = keys;
    this.current = { id: options.encryptWith, key: current };
  }

  /** Encrypts each payload with the current key. */
  encode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.resolve(payloads.map((p) => this.encrypt(p)));
  }

  /** Decrypts each encrypted payload with the key its metadata names. */
  decode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.resolve(payloads.map((p) => this.decrypt(p)));
  }

  private encrypt(payload: Payload): Payload {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(CIPHER, this.current.key, iv);
    const plain = Buffer.from(JSON.stringify(toJsonPayload(payload)), 'utf8');
    const body = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
    return {
      metadata: {
        encoding: text.encode(ENCRYPTED_ENCODING),
        [ENCRYPTION_KEY_ID]: text.encode(this.current.id),
        [CIPHER_METADATA]: text.encode(CIPHER),
      },
      data: new Uint8Array(body),
    };
  }

  private decrypt(payload: Payload): Payload {
    const meta = payload.metadata ?? {};
    const encoding = meta.encoding ? Buffer.from(meta.encoding).toString('utf8') : '';
    if (encoding !== ENCRYPTED_ENCODING) return payload;
    const rawId = meta[ENCRYPTION_KEY_ID];
    const id = rawId ? Buffer.from(rawId).toString('utf8') : '';
    const key = this.keys.get(id);
    if (!key) {
      throw new AgentRuntimeError(
        'CONFIG_MISSING',
        `A payload is encrypted with key "${id}", which this codec does not have: add it to keys`,
        { details: { keyId: id } },
      );
    }
    const data = Buffer.from(payload.data ?? new Uint8Array());
    if (data.length < IV_BYTES + TAG_BYTES) {
      throw new AgentRuntimeError('INVALID_INPUT', 'An encrypted payload is truncated');
    }
    const decipher = createDecipheriv(CIPHER, key, data.subarray(0, IV_BYTES));
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    let plain: Buffer;
    try {
      plain = Buffer.concat([
        decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)),
        decipher.final(),
      ]);
    } catch (err) {
      throw new AgentRuntimeError(
        'INVALID_INPUT',
        `An encrypted payload failed authentication with key "${id}" (altered, or another key under that id)`,
        { details: { keyId: id }, cause: err },
      );
    }
    return fromJsonPayload(JSON.parse(plain.toString('utf8')) as JsonPayload);
  }
}

/** A payload as JSON (base64 bytes): the plaintext inside an encrypted payload. */
interface JsonPayload {
  metadata: Record<string, string>;
  data: string;
}

function toJsonPayload(p: Payload): JsonPayload {
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(p.metadata ?? {})) {
    if (v) metadata[k] = Buffer.from(v).toString('base64');
  }
  return { metadata, data: Buffer.from(p.data ?? new Uint8Array()).toString('base64') };
}

function fromJsonPayload(j: JsonPayload): Payload {
  const metadata: Record<string, Uint8Array> = {};
  for (const [k, v] of Object.entries(j.metadata)) {
    metadata[k] = new Uint8Array(Buffer.from(v, 'base64'));
  }
  return { metadata, data: new Uint8Array(Buffer.from(j.data, 'base64')) };
}
