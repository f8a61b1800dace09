// Streamed text is cut into pieces every bus can carry (Postgres NOTIFY: ~8 kB), whatever the
// model sends: the pieces join back to the exact text and never split a surrogate pair.
import { splitDelta } from '../../activities/invoke-model';

const jsonBytes = (s: string) => Buffer.byteLength(JSON.stringify(s));

test.each([
  ['plain ASCII', 'word '.repeat(3000)],
  ['control characters (6 bytes each once escaped)', '\u0001'.repeat(5000)],
  ['emoji (surrogate pairs)', '😀'.repeat(3000)],
  ['mixed hostile text', 'a\u0000"\\\u2028😀\u0007'.repeat(1500)],
  ['an emoji right at the 2000th code unit', `${'x'.repeat(1999)}😀tail`],
])('%s: joins back exactly, every piece within the byte budget', (_name, text) => {
  const pieces = splitDelta(text);
  expect(pieces.join('')).toBe(text);
  expect(pieces.length).toBeGreaterThan(1);
  for (const [i, piece] of pieces.entries()) {
    expect(piece.length).toBeGreaterThan(0);
    expect(piece.length).toBeLessThanOrEqual(2000);
    expect(jsonBytes(piece)).toBeLessThanOrEqual(4000);
    const last = piece.charCodeAt(piece.length - 1);
    if (i < pieces.length - 1) expect(last >= 0xd800 && last <= 0xdbff).toBe(false);
  }
});

test('short text is one piece; empty text is none', () => {
  expect(splitDelta('hello')).toEqual(['hello']);
  expect(splitDelta('')).toEqual([]);
});
