// jsonBytes: the UTF-8 size of a value's JSON, which the run compares with Temporal's payload
// limit before handing Temporal its result or its continue-as-new input.
import { jsonBytes } from '../../src/core/json';

test('counts UTF-8 bytes of the JSON text, as Buffer.byteLength does', () => {
  const values: unknown[] = [
    'plain',
    { a: 1, b: [true, null], c: 'é' },
    'ü€𝄞 mixed ascii',
    { emoji: '😀'.repeat(10), cjk: '漢字'.repeat(5) },
    'lone surrogate \ud800 here',
    [],
  ];
  for (const v of values) {
    expect(jsonBytes(v)).toBe(Buffer.byteLength(JSON.stringify(v), 'utf8'));
  }
});

test('undefined has no JSON: 0 bytes', () => {
  expect(jsonBytes(undefined)).toBe(0);
});
