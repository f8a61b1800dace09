// Against the real providers, only when a key is set (OPENAI_API_KEY / ANTHROPIC_API_KEY). Without
// one each test skips itself and says why.
import { z } from 'zod';
import { AnthropicClient } from '../../src/llm/anthropic';
import { OpenAIClient } from '../../src/llm/openai';
import { generateObject } from '../../src/llm';
import type { LLMClient } from '../../src/core/llm-types';

const cases: [string, string | undefined, () => LLMClient][] = [
  [
    'openai',
    process.env.OPENAI_API_KEY,
    () => new OpenAIClient({ apiKey: process.env.OPENAI_API_KEY, defaultModel: 'gpt-4o-mini' }),
  ],
  [
    'anthropic',
    process.env.ANTHROPIC_API_KEY,
    () =>
      new AnthropicClient({
        apiKey: process.env.ANTHROPIC_API_KEY,
        defaultModel: 'claude-haiku-4-5',
      }),
  ],
];

describe.each(cases)('real %s API', (name, key, make) => {
  const run = key ? test : test.skip;
  if (!key) {
    // Jest has no "skip with a reason"; say it here so the run log shows why.
    console.log(
      `[llm-real-providers] ${name}: no ${name.toUpperCase()}_API_KEY set, real-API test skipped`,
    );
  }

  run(
    'a plain reply, a streamed reply and a structured answer',
    async () => {
      const llm = make();
      const r = await llm.generate([{ role: 'user', content: 'Reply with the single word: pong' }]);
      expect(r.content.toLowerCase()).toContain('pong');
      expect(r.usage.totalTokens).toBeGreaterThan(0);
      let text = '';
      for await (const c of llm.stream([
        { role: 'user', content: 'Count from 1 to 5, digits only.' },
      ])) {
        text += c.delta;
      }
      expect(text).toMatch(/1.*5/s);
      const { object } = await generateObject(
        llm,
        [{ role: 'user', content: 'The capital of France, as JSON.' }],
        z.object({ capital: z.string() }),
      );
      expect(object.capital.toLowerCase()).toContain('paris');
    },
    60_000,
  );
});
