/** Session budgets in SQLite (store/budget-store.ts says what each call does). */
import { toBudget, type BudgetRow as Row, type BudgetStore } from '../store/budget-store.js';
import type { Db } from './db.js';
import type { Synchronous } from './synchronous.js';

export type BudgetTables = Synchronous<BudgetStore>;

export function createBudgetTables(db: Db): BudgetTables {
  const upsert = db.prepare<[Record<string, unknown>], Row>(
    `INSERT INTO session_budgets (session_id, usd, tokens, max_agents, max_minutes, started_at)
     VALUES (@session_id, @usd, @tokens, @max_agents, @max_minutes, @started_at)
     ON CONFLICT (session_id) DO UPDATE SET usd = excluded.usd, tokens = excluded.tokens,
       max_agents = excluded.max_agents, max_minutes = excluded.max_minutes,
       started_at = CASE WHEN @restart THEN excluded.started_at ELSE started_at END
     RETURNING *`,
  );
  const byId = db.prepare<[string], Row>('SELECT * FROM session_budgets WHERE session_id = ?');
  // A session with no budget row of its own (the configuration's budget) gets one holding only its notices.
  const ensure = db.prepare<[string, string]>(
    'INSERT INTO session_budgets (session_id, started_at) VALUES (?, ?) ON CONFLICT DO NOTHING',
  );
  const addWarning = db.prepare<[string, string, string]>(
    `UPDATE session_budgets SET warned = json_insert(warned, '$[#]', ?)
      WHERE session_id = ? AND NOT EXISTS (SELECT 1 FROM json_each(warned) WHERE value = ?)`,
  );
  const warn = db.transaction((sessionId: string, key: string, startedAt: string) => {
    ensure.run(sessionId, startedAt);
    return addWarning.run(key, sessionId, key).changes === 1;
  });
  return {
    set: (sessionId, limits, startAt) =>
      toBudget(
        upsert.get({
          session_id: sessionId,
          usd: limits.usd ?? null,
          tokens: limits.tokens ?? null,
          max_agents: limits.max_agents ?? null,
          max_minutes: limits.max_minutes ?? null,
          started_at: startAt ?? new Date().toISOString(),
          restart: startAt === undefined ? 0 : 1,
        })!,
      ),
    get: (sessionId) => {
      const row = byId.get(sessionId);
      return row ? toBudget(row) : null;
    },
    warn: (sessionId, key, startedAt) => warn.immediate(sessionId, key, startedAt),
  };
}
