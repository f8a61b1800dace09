// The conformance suites users run against their own stores (`agent-runtime-core/testing`) must
// work under any runner with Jest-style globals, so they may not depend on one.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { testRunner } from '../../../src/testing/conformance/helpers';

const dir = path.resolve(__dirname, '../../../src/testing/conformance');

describe('conformance suites', () => {
  it('import no test-runner package', () => {
    const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThanOrEqual(7);
    const offences = files.flatMap((f) =>
      [...readFileSync(path.join(dir, f), 'utf8').matchAll(/from\s+'([^']+)'/g)]
        .map((m) => m[1]!)
        .filter((spec) => /^(@jest\/|jest|vitest|@vitest\/)/.test(spec))
        .map((spec) => `${f} imports ${spec}`),
    );
    expect(offences).toEqual([]);
  });

  it("reach the runner's globals, and say so clearly when there are none", () => {
    expect(testRunner().it).toBe(it);
    expect(() => testRunner({ describe, it })).toThrow(
      /need the test runner's globals \(beforeEach, afterEach, expect missing\)/,
    );
  });
});
