// Sandbox-safe: turns token usage into money with a price table (no I/O).
import type { Usage } from '../core/types';

/** Price of one model, per million tokens. */
export interface ModelPrice {
  /** Price of one million prompt (input) tokens. */
  promptPerMillion: number;
  /** Price of one million completion (output) tokens. */
  completionPerMillion: number;
}

/** Prices by model name (`configure({ modelPrices })`). */
export type PriceTable = Record<string, ModelPrice>;

/**
 * The cost of `usage` on `model`, or `undefined` when the table has no price for it. A model
 * name that is not in the table matches the longest key it starts with, so a price for
 * `gpt-4o` also prices `gpt-4o-2024-08-06`.
 */
export function estimateCost(
  usage: Usage,
  model: string,
  prices: PriceTable | undefined,
): number | undefined {
  if (!prices) return undefined;
  let price = prices[model];
  if (!price) {
    const key = Object.keys(prices)
      .filter((k) => model.startsWith(k))
      .sort((a, b) => b.length - a.length)[0];
    price = key === undefined ? undefined : prices[key];
  }
  if (!price) return undefined;
  return (
    (usage.promptTokens * price.promptPerMillion +
      usage.completionTokens * price.completionPerMillion) /
    1_000_000
  );
}
