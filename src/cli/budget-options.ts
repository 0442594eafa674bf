/** The budget flags `maestro team` and `maestro budget` share, checked against the one schema. */
import { budgetLimitsSchema, type BudgetLimits } from '../store/budget-store.js';
import { UsageError, str, type Options, type Parsed } from './args.js';

/** Flag name → the budget field it sets. */
export function budgetFlags(prefix: '' | 'budget-'): Record<string, keyof BudgetLimits> {
  return {
    [`${prefix}usd`]: 'usd',
    [`${prefix}tokens`]: 'tokens',
    'max-agents': 'max_agents',
    'max-minutes': 'max_minutes',
  };
}

export function budgetOptions(prefix: '' | 'budget-'): Options {
  return Object.fromEntries(Object.keys(budgetFlags(prefix)).map((name) => [name, { type: 'string' }]));
}

/** The limits the command line gives; empty when it gives none. */
export function budgetFromArgs(command: string, parsed: Parsed, prefix: '' | 'budget-'): BudgetLimits {
  const limits: Record<string, number> = {};
  for (const [name, field] of Object.entries(budgetFlags(prefix))) {
    const raw = str(parsed, name);
    if (raw === undefined) continue;
    const value = Number(raw);
    const checked = budgetLimitsSchema.shape[field].safeParse(raw.trim() === '' ? Number.NaN : value);
    if (!checked.success || checked.data === undefined) {
      const rule = field === 'usd' || field === 'max_minutes' ? 'a number above 0' : 'a whole number above 0';
      throw new UsageError(`${command}: --${name} expects ${rule}, got '${raw}'`);
    }
    limits[field] = checked.data;
  }
  return limits as BudgetLimits;
}
