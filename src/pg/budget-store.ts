/** Session budgets on PostgreSQL (store/budget-store.ts says what each call does). */
import { toBudget, type BudgetRow as Row, type BudgetStore } from '../store/budget-store.js';
import type { Tables } from './sql.js';

const COLUMNS = 'session_id, usd, tokens, max_agents, max_minutes, started_at';

export function createPgBudgetTables(): Tables<BudgetStore> {
  return {
    async set(sql, sessionId, limits, startAt) {
      const row = await sql.one<Row>(
        `INSERT INTO session_budgets (session_id, usd, tokens, max_agents, max_minutes, started_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (session_id) DO UPDATE SET usd = excluded.usd, tokens = excluded.tokens,
           max_agents = excluded.max_agents, max_minutes = excluded.max_minutes,
           started_at = CASE WHEN $7 THEN excluded.started_at ELSE session_budgets.started_at END
         RETURNING ${COLUMNS}`,
        [
          sessionId,
          limits.usd ?? null,
          limits.tokens ?? null,
          limits.max_agents ?? null,
          limits.max_minutes ?? null,
          startAt ?? new Date().toISOString(),
          startAt !== undefined,
        ],
      );
      return toBudget(row!);
    },

    async get(sql, sessionId) {
      const row = await sql.one<Row>(`SELECT ${COLUMNS} FROM session_budgets WHERE session_id = $1`, [sessionId]);
      return row ? toBudget(row) : null;
    },

    async warn(sql, sessionId, key, startedAt) {
      // A session with no budget row of its own (the configuration's budget) gets one holding only its notices.
      await sql.run('INSERT INTO session_budgets (session_id, started_at) VALUES ($1, $2) ON CONFLICT DO NOTHING', [
        sessionId,
        startedAt,
      ]);
      const added = await sql.run(
        `UPDATE session_budgets SET warned = warned || jsonb_build_array($2::text)
          WHERE session_id = $1 AND NOT warned @> jsonb_build_array($2::text)`,
        [sessionId, key],
      );
      return added === 1;
    },
  };
}
