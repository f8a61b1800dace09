// The payload limit a runner gives its runs (`AgentRunInput.inlinePayloadLimit`): none when its
// client stores large payloads, Temporal's 2 MiB less the metadata otherwise, and less again when
// the payloads are encrypted (base64 inside JSON: 4/3 larger).
import { Client } from '@temporalio/client';
import { AgentRunner } from '../../src/client/runner';
import { inlinePayloadLimit, TEMPORAL_PAYLOAD_LIMIT_BYTES } from '../../src/core/run-contract';
import { encryptedDataConverter } from '../../src/encryption';
import { MemoryPayloadDriver, toExternalStorage } from '../../src/payloads';

const ENC = { keys: { k1: Buffer.alloc(32, 7).toString('base64') }, encryptWith: 'k1' };

/** The limit the runner writes into each run's input (a private field: what `start()` sends). */
function limitOf(runner: AgentRunner): number | undefined {
  return (runner as unknown as { inlinePayloadLimit: number | undefined }).inlinePayloadLimit;
}

test('the limits: 2 MiB less 512 bytes; encrypted, three quarters of 2 MiB less 1 KiB', () => {
  expect(inlinePayloadLimit(false)).toBe(TEMPORAL_PAYLOAD_LIMIT_BYTES - 512);
  expect(inlinePayloadLimit(true)).toBe(
    Math.floor(((TEMPORAL_PAYLOAD_LIMIT_BYTES - 1024) * 3) / 4),
  );
  // An encrypted payload of that much JSON stays under Temporal's limit (base64 + envelope).
  const encoded = Math.ceil(inlinePayloadLimit(true) / 3) * 4;
  expect(encoded + 512).toBeLessThan(TEMPORAL_PAYLOAD_LIMIT_BYTES);
});

test('a runner without payload storage gives its runs the limit; with it, none', () => {
  const config = { taskQueue: 'q' };
  const driver = new MemoryPayloadDriver();
  expect(limitOf(new AgentRunner({ config, payloadStorage: false }))).toBe(
    inlinePayloadLimit(false),
  );
  expect(limitOf(new AgentRunner({ config, payloadStorage: { driver } }))).toBeUndefined();
  expect(limitOf(new AgentRunner({ config, payloadStorage: false, encryption: ENC }))).toBe(
    inlinePayloadLimit(true),
  );
  // A given client: what its data converter does.
  expect(limitOf(new AgentRunner({ config, client: new Client() }))).toBe(
    inlinePayloadLimit(false),
  );
  const stored = new Client({ dataConverter: { externalStorage: toExternalStorage({ driver }) } });
  expect(limitOf(new AgentRunner({ config, client: stored }))).toBeUndefined();
  const encrypted = new Client({ dataConverter: encryptedDataConverter(ENC) });
  expect(limitOf(new AgentRunner({ config, client: encrypted }))).toBe(inlinePayloadLimit(true));
});
