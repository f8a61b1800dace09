// Payload storage driver conformance (Temporal External Storage `StorageDriver`) over memory,
// the machine's Postgres and PGlite.
import { StorageDriverClaim, type Payload, type StorageDriver } from '@temporalio/common';
import { AgentRuntimeError } from '../../../src/core/errors';
import { MemoryPayloadDriver, PostgresPayloadDriver } from '../../../src/payloads';
import type { PgliteHandle } from '../../../src/persistence';
import { createTestPglite, createTestSchema, type TestSchema } from './pg-helpers';

function payload(text: string, encoding = 'json/plain'): Payload {
  return {
    metadata: { encoding: new TextEncoder().encode(encoding) },
    data: new TextEncoder().encode(text),
  };
}

function text(p: Payload): { encoding: string; data: string } {
  const decoder = new TextDecoder();
  return {
    encoding: decoder.decode(p.metadata?.encoding ?? new Uint8Array()),
    data: decoder.decode(p.data ?? new Uint8Array()),
  };
}

function describePayloadDriver(
  name: string,
  make: () => StorageDriver,
  count?: () => Promise<number>,
): void {
  describe(`payload driver: ${name}`, () => {
    it('round-trips payloads in order, binary data and a 3 MB payload included', async () => {
      const driver = make();
      const big = JSON.stringify('x'.repeat(3 * 1024 * 1024));
      const binary: Payload = {
        metadata: {
          encoding: new TextEncoder().encode('binary/plain'),
          extra: new Uint8Array([0, 255]),
        },
        data: new Uint8Array([0, 1, 2, 254, 255, 0]),
      };
      const payloads = [payload('"a"'), payload(big), binary, { data: new Uint8Array() }];
      const claims = await driver.store({}, payloads);
      expect(claims).toHaveLength(4);
      const back = await driver.retrieve({}, [...claims].reverse());
      expect(text(back[3] as Payload)).toEqual({ encoding: 'json/plain', data: '"a"' });
      expect(text(back[2] as Payload).data).toBe(big);
      expect(Buffer.from((back[1] as Payload).data as Uint8Array)).toEqual(
        Buffer.from([0, 1, 2, 254, 255, 0]),
      );
      expect(Buffer.from((back[1] as Payload).metadata?.extra as Uint8Array)).toEqual(
        Buffer.from([0, 255]),
      );
      expect(Buffer.from((back[0] as Payload).data ?? new Uint8Array())).toHaveLength(0);
    });

    it('stores by content: an equal payload gives the same claim and no second blob', async () => {
      const driver = make();
      const before = count ? await count() : 0;
      const [a] = await driver.store({}, [payload('"same"')]);
      const [b, c] = await driver.store({}, [payload('"same"'), payload('"same"')]);
      const [d] = await driver.store({}, [payload('"same"', 'json/other')]);
      expect(b?.claimData).toEqual(a?.claimData);
      expect(c?.claimData).toEqual(a?.claimData);
      expect(d?.claimData).not.toEqual(a?.claimData);
      if (count) expect((await count()) - before).toBe(2);
    });

    it('a missing claim is PAYLOAD_NOT_FOUND naming the driver; a malformed one INVALID_INPUT', async () => {
      const driver = make();
      const missing = new StorageDriverClaim({ sha256: 'f'.repeat(64) });
      const err = await driver.retrieve({}, [missing]).catch((e: unknown) => e);
      expect(AgentRuntimeError.is(err)).toBe(true);
      expect((err as AgentRuntimeError).code).toBe('PAYLOAD_NOT_FOUND');
      expect((err as AgentRuntimeError).details).toMatchObject({ driver: driver.name });
      const bad = await driver
        .retrieve({}, [new StorageDriverClaim({ key: 'x' })])
        .catch((e: unknown) => e);
      expect((bad as AgentRuntimeError).code).toBe('INVALID_INPUT');
    });

    it('honours an aborted signal', async () => {
      const driver = make();
      const controller = new AbortController();
      controller.abort(new Error('stop'));
      await expect(
        driver.store({ abortSignal: controller.signal }, [payload('1')]),
      ).rejects.toThrow('stop');
    });
  });
}

let db: TestSchema;
let pglite: PgliteHandle;
beforeAll(async () => {
  db = await createTestSchema('it_payloads');
  pglite = await createTestPglite();
});
afterAll(async () => {
  await db.drop();
  await pglite.close();
});

const memory = new MemoryPayloadDriver();
describePayloadDriver(
  'memory',
  () => memory,
  async () => memory.size,
);
describePayloadDriver(
  'postgres',
  () => new PostgresPayloadDriver({ pool: db.pool }),
  async () =>
    Number(
      (await db.pool.query<{ n: string }>('SELECT count(*) AS n FROM payload_blobs')).rows[0]?.n,
    ),
);
describePayloadDriver(
  'pglite',
  () => new PostgresPayloadDriver({ pool: async () => pglite.pool }),
  async () =>
    Number(
      (await pglite.pool.query<{ n: string }>('SELECT count(*) AS n FROM payload_blobs')).rows[0]
        ?.n,
    ),
);
