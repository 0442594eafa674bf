/**
 * What tokens cost, for a backend that reports tokens but no cost (Codex): dollars per million
 * input, cached input and output tokens, by model. The configuration's `pricing` adds models or
 * replaces these; a model is priced by its own entry, else by the longest entry its name starts
 * with (`gpt-5.1-codex-max` by `gpt-5.1-codex`), else by `default`.
 */
import { z } from 'zod';
import type { Usage } from './records.js';

export const priceSchema = z.strictObject({
  input: z.number().min(0),
  cached_input: z.number().min(0),
  output: z.number().min(0),
});
export type Price = z.infer<typeof priceSchema>;

/** OpenAI's list prices (USD per 1M tokens) for the models Codex runs. */
export const DEFAULT_PRICING: Readonly<Record<string, Price>> = {
  default: { input: 1.25, cached_input: 0.125, output: 10 },
  'gpt-5': { input: 1.25, cached_input: 0.125, output: 10 },
  'gpt-5-mini': { input: 0.25, cached_input: 0.025, output: 2 },
  'gpt-5-nano': { input: 0.05, cached_input: 0.005, output: 0.4 },
  'gpt-5-codex': { input: 1.25, cached_input: 0.125, output: 10 },
  'gpt-5.1': { input: 1.25, cached_input: 0.125, output: 10 },
  'gpt-5.1-codex': { input: 1.25, cached_input: 0.125, output: 10 },
  'gpt-5.1-codex-mini': { input: 0.25, cached_input: 0.025, output: 2 },
  'o4-mini': { input: 1.1, cached_input: 0.275, output: 4.4 },
};

export function priceOf(pricing: Readonly<Record<string, Price>>, model: string | null): Price {
  if (model && pricing[model]) return pricing[model];
  const prefix = Object.keys(pricing)
    .filter((name) => name !== 'default' && model?.startsWith(name))
    .sort((a, b) => b.length - a.length)[0];
  return pricing[prefix ?? 'default'] ?? DEFAULT_PRICING.default!;
}

/** `usage` with its cost worked out from its tokens; the cached input is part of the input. */
export function priced(usage: Usage, price: Price): Usage {
  const cached = Math.min(usage.cached_input_tokens, usage.input_tokens);
  const cost =
    ((usage.input_tokens - cached) * price.input + cached * price.cached_input + usage.output_tokens * price.output) /
    1e6;
  return { ...usage, cost_usd: cost };
}
