/**
 * Versioned schema. Each migration runs once, inside the same write transaction that bumps
 * `PRAGMA user_version`, so concurrent openers never apply one twice. Append only: a released
 * migration is never edited.
 */

import { STATUS_SQL_LIST } from '../agents/status.js';

export interface Migration {
  version: number;
  description: string;
  sql: string;
  /**
   * Constraints made looser in a table's stored definition, `from` replaced by `to`: SQLite's
   * documented way to change a CHECK that every stored row already meets, without rebuilding the
   * table (https://sqlite.org/lang_altertable.html, "other kinds of table schema changes").
   */
  loosen?: Array<{ table: string; from: string; to: string }>;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'message bus: sessions, messages, full-text index, counts, mailbox cursors, role state',
    sql: `
      CREATE TABLE sessions (
        id          TEXT PRIMARY KEY,
        created_at  TEXT NOT NULL,
        -- next message sequence number; ids are never reused, even after delete or clear
        next_seq    INTEGER NOT NULL DEFAULT 1
      ) STRICT;

      CREATE TABLE messages (
        -- AUTOINCREMENT: a row id is never reused, which the search index watermark relies on
        row_id           INTEGER PRIMARY KEY AUTOINCREMENT,
        session_id       TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        seq              INTEGER NOT NULL,
        ts               TEXT NOT NULL,
        from_role        TEXT NOT NULL,
        to_role          TEXT NOT NULL,
        type             TEXT NOT NULL,
        summary          TEXT NOT NULL,
        data             TEXT NOT NULL CHECK (json_valid(data)),
        sender_agent_id  TEXT,
        UNIQUE (session_id, seq)
      ) STRICT;
      CREATE INDEX messages_by_type ON messages (session_id, type, seq);
      CREATE INDEX messages_by_from ON messages (session_id, from_role, seq);
      CREATE INDEX messages_by_to   ON messages (session_id, to_role, seq);

      -- Counts per (from, to, type): any filtered total is a sum over a handful of rows,
      -- however many messages the session holds.
      CREATE TABLE message_counts (
        session_id  TEXT NOT NULL,
        from_role   TEXT NOT NULL,
        to_role     TEXT NOT NULL,
        type        TEXT NOT NULL,
        n           INTEGER NOT NULL,
        PRIMARY KEY (session_id, from_role, to_role, type)
      ) STRICT, WITHOUT ROWID;

      CREATE TRIGGER messages_count_insert AFTER INSERT ON messages BEGIN
        INSERT INTO message_counts (session_id, from_role, to_role, type, n)
        VALUES (new.session_id, new.from_role, new.to_role, new.type, 1)
        ON CONFLICT DO UPDATE SET n = n + 1;
      END;
      CREATE TRIGGER messages_count_delete AFTER DELETE ON messages BEGIN
        UPDATE message_counts SET n = n - 1
         WHERE session_id = old.session_id AND from_role = old.from_role
           AND to_role = old.to_role AND type = old.type;
        DELETE FROM message_counts
         WHERE session_id = old.session_id AND from_role = old.from_role
           AND to_role = old.to_role AND type = old.type AND n <= 0;
      END;

      -- Full-text index over summary and data. It is brought up to date in batches when a search
      -- runs rather than by a trigger on every write: each write stays a few pages, and a search
      -- first indexes every message committed before it. indexed_through is the watermark.
      CREATE VIRTUAL TABLE messages_fts USING fts5 (
        summary, data, content = 'messages', content_rowid = 'row_id'
      );
      CREATE TABLE search_index_state (
        singleton        INTEGER PRIMARY KEY CHECK (singleton = 1),
        indexed_through  INTEGER NOT NULL
      ) STRICT;
      INSERT INTO search_index_state VALUES (1, 0);
      CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages
        WHEN old.row_id <= (SELECT indexed_through FROM search_index_state)
      BEGIN
        INSERT INTO messages_fts (messages_fts, rowid, summary, data)
        VALUES ('delete', old.row_id, old.summary, old.data);
      END;

      -- Mailbox delivery: how far each recipient has read. Messages commit in sequence order and
      -- mailboxes are read oldest first, so a recipient's delivered messages are exactly those
      -- addressed to it (or to 'all') with seq <= delivered_through.
      CREATE TABLE mailbox_cursors (
        session_id         TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        recipient          TEXT NOT NULL,
        delivered_through  INTEGER NOT NULL,
        updated_at         TEXT NOT NULL,
        PRIMARY KEY (session_id, recipient)
      ) STRICT, WITHOUT ROWID;

      -- Per-role state, merged (JSON merge patch) from the data of that role's state_update messages.
      CREATE TABLE role_state (
        session_id  TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        role        TEXT NOT NULL,
        state       TEXT NOT NULL CHECK (json_valid(state)),
        updated_at  TEXT NOT NULL,
        updated_by  INTEGER NOT NULL,
        PRIMARY KEY (session_id, role)
      ) STRICT, WITHOUT ROWID;
    `,
  },
  {
    version: 2,
    description: 'agents: records, turns, status events, news for waiters',
    sql: `
      CREATE TABLE agents (
        id                  TEXT PRIMARY KEY,
        session_id          TEXT NOT NULL REFERENCES sessions(id),
        task_name           TEXT NOT NULL,
        nickname            TEXT,
        agent_type          TEXT NOT NULL,
        parent_id           TEXT REFERENCES agents(id),
        depth               INTEGER NOT NULL CHECK (depth >= 1),
        -- '/' + task names from the top: /IMPL-001/helper
        path                TEXT NOT NULL,
        backend             TEXT NOT NULL,
        -- argv of a command-backend worker, as JSON
        command             TEXT CHECK (command IS NULL OR json_valid(command)),
        model               TEXT,
        reasoning_effort    TEXT,
        cwd                 TEXT NOT NULL,
        worktree            TEXT,
        branch              TEXT,
        status              TEXT NOT NULL CHECK (status IN (${STATUS_SQL_LIST})),
        status_reason       TEXT,
        turn                INTEGER NOT NULL DEFAULT 0,
        last_task_message   TEXT,
        backend_session_id  TEXT,
        -- the worker process (its own process group) and the maestro server supervising it
        pid                 INTEGER,
        owner_pid           INTEGER,
        secret_hash         TEXT NOT NULL,
        input_tokens        INTEGER NOT NULL DEFAULT 0,
        cached_input_tokens INTEGER NOT NULL DEFAULT 0,
        output_tokens       INTEGER NOT NULL DEFAULT 0,
        cost_usd            REAL NOT NULL DEFAULT 0,
        created_at          TEXT NOT NULL,
        updated_at          TEXT NOT NULL,
        closed_at           TEXT
      ) STRICT;
      -- a task name names one open agent in its session; a closed one frees the name
      CREATE UNIQUE INDEX agents_open_task ON agents (session_id, task_name) WHERE status <> 'shutdown';
      CREATE INDEX agents_by_parent ON agents (session_id, parent_id);

      CREATE TABLE agent_turns (
        agent_id       TEXT NOT NULL REFERENCES agents(id),
        turn           INTEGER NOT NULL,
        task           TEXT NOT NULL,
        status         TEXT NOT NULL CHECK (status IN (${STATUS_SQL_LIST})),
        final_message  TEXT,
        -- what the worker reported with report_agent_job_result (JSON), if it did
        result         TEXT CHECK (result IS NULL OR json_valid(result)),
        error          TEXT,
        usage          TEXT CHECK (usage IS NULL OR json_valid(usage)),
        started_at     TEXT NOT NULL,
        ended_at       TEXT,
        reported_at    TEXT,
        PRIMARY KEY (agent_id, turn)
      ) STRICT, WITHOUT ROWID;

      -- every status change, in order
      CREATE TABLE agent_events (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        agent_id     TEXT NOT NULL REFERENCES agents(id),
        session_id   TEXT NOT NULL,
        ts           TEXT NOT NULL,
        from_status  TEXT,
        to_status    TEXT NOT NULL,
        turn         INTEGER NOT NULL,
        reason       TEXT
      ) STRICT;
      CREATE INDEX agent_events_by_agent ON agent_events (agent_id, id);

      -- What ends a wait_agent: a child's turn finishing (kind 'final') or a send_message to the
      -- waiter (kind 'message'). recipient is the waiting agent's id, or '' for the session's
      -- top-level client. Consumed once, inside the wait's write transaction.
      CREATE TABLE news (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        session_id   TEXT NOT NULL,
        recipient    TEXT NOT NULL,
        kind         TEXT NOT NULL CHECK (kind IN ('final', 'message')),
        agent_id     TEXT NOT NULL,
        turn         INTEGER,
        message_seq  INTEGER,
        created_at   TEXT NOT NULL,
        consumed_at  TEXT
      ) STRICT;
      CREATE INDEX news_pending ON news (session_id, recipient, id) WHERE consumed_at IS NULL;
      -- one completion per turn, however it was learnt (the worker's report or the turn's end)
      CREATE UNIQUE INDEX news_one_final_per_turn ON news (agent_id, turn) WHERE kind = 'final';
    `,
  },
  {
    version: 3,
    description: 'process identity: the start time of a worker and of its supervising server, against pid reuse',
    sql: `
      -- what the OS reports as the process's start (Linux: /proc/<pid>/stat field 22); with the pid
      -- it names one process, so a recycled pid is never taken for the worker or its server
      ALTER TABLE agents ADD COLUMN pid_start TEXT;
      ALTER TABLE agents ADD COLUMN owner_start TEXT;
    `,
  },
  {
    version: 4,
    description: 'identity by process ancestry: no more worker secrets; agents found by their processes',
    sql: `
      -- a secret in a file is readable by every process of the same user; a worker is now known
      -- by being the process (pid + start token) its server's ancestry leads to
      ALTER TABLE agents DROP COLUMN secret_hash;
      CREATE INDEX agents_by_process ON agents (pid) WHERE pid IS NOT NULL;
      CREATE INDEX agents_by_owner ON agents (owner_pid) WHERE owner_pid IS NOT NULL;
    `,
  },
  {
    version: 5,
    description: 'the event feed: one ordered sequence of every change of state; news handed out by cursor',
    sql: `
      -- One feed, one sequence. A logged message is an event: its row id in messages is its place
      -- in the feed, so logging one writes nothing more than before. Every other change of state
      -- is a row here, numbered from the same counter (the AUTOINCREMENT entry of messages in
      -- sqlite_sequence, advanced by feed.ts inside the change's own write transaction). Writes
      -- commit one at a time, in that order, so a reader following seq > cursor misses nothing.
      CREATE TABLE events (
        seq         INTEGER PRIMARY KEY,
        session_id  TEXT NOT NULL,
        ts          TEXT NOT NULL,
        type        TEXT NOT NULL,
        agent_id    TEXT,
        turn        INTEGER,
        data        TEXT NOT NULL CHECK (json_valid(data))
      ) STRICT;
      CREATE INDEX events_by_session ON events (session_id, seq);
      CREATE INDEX events_by_agent ON events (agent_id, seq) WHERE agent_id IS NOT NULL;

      INSERT INTO sqlite_sequence (name, seq)
        SELECT 'messages', coalesce((SELECT max(row_id) FROM messages), 0)
         WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'messages');

      -- Status changes recorded before the feed existed join it after every message so far, in
      -- their own order (their order against those messages is not known).
      INSERT INTO events (seq, session_id, ts, type, agent_id, turn, data)
        SELECT (SELECT seq FROM sqlite_sequence WHERE name = 'messages') + row_number() OVER (ORDER BY e.id),
               e.session_id, e.ts, 'agent', e.agent_id, e.turn,
               json_object('task_name', a.task_name, 'agent_type', a.agent_type,
                           'from', e.from_status, 'to', e.to_status, 'reason', e.reason)
          FROM agent_events e JOIN agents a ON a.id = e.agent_id;
      UPDATE sqlite_sequence SET seq = coalesce((SELECT max(seq) FROM events), seq) WHERE name = 'messages';
      DROP TABLE agent_events;

      -- News: the events that end a wait_agent — a child's turn finishing (its reported result, or
      -- its completion or failure when it reported none) and a send_message to the waiter. news_for
      -- names the recipient on the event itself: the waiting agent's id, or '' for the top level of
      -- the session, where each top-level client hears only of its own agents (agents.client_id).
      ALTER TABLE events ADD COLUMN news_for TEXT;
      ALTER TABLE messages ADD COLUMN news_for TEXT;
      CREATE INDEX events_news ON events (session_id, news_for, seq) WHERE news_for IS NOT NULL;
      CREATE INDEX messages_news ON messages (session_id, news_for, row_id) WHERE news_for IS NOT NULL;
      -- the top-level client (its server's client process) whose tree the agent belongs to; null: any
      ALTER TABLE agents ADD COLUMN client_id TEXT;

      -- Each recipient's news is handed out by cursor: everything up to delivered_through has been
      -- delivered (or is stale: its agent has moved on to a later turn); news after it that a wait
      -- for named targets took out of order is listed in news_acks until the cursor passes it.
      CREATE TABLE news_cursors (
        session_id         TEXT NOT NULL,
        recipient          TEXT NOT NULL,
        delivered_through  INTEGER NOT NULL,
        PRIMARY KEY (session_id, recipient)
      ) STRICT, WITHOUT ROWID;
      CREATE TABLE news_acks (
        session_id  TEXT NOT NULL,
        recipient   TEXT NOT NULL,
        seq         INTEGER NOT NULL,
        PRIMARY KEY (session_id, recipient, seq)
      ) STRICT, WITHOUT ROWID;

      -- News nobody had taken yet stays news: it is marked on its message or on the last event of
      -- its turn's ending. Recipients keep their names; top-level news ('') goes to any client.
      UPDATE messages SET news_for = (
        SELECT n.recipient FROM news n
         WHERE n.kind = 'message' AND n.consumed_at IS NULL
           AND n.session_id = messages.session_id AND n.message_seq = messages.seq)
       WHERE EXISTS (SELECT 1 FROM news n WHERE n.kind = 'message' AND n.consumed_at IS NULL
                       AND n.session_id = messages.session_id AND n.message_seq = messages.seq);
      UPDATE events SET news_for = (
        SELECT n.recipient FROM news n
         WHERE n.kind = 'final' AND n.consumed_at IS NULL AND n.agent_id = events.agent_id AND n.turn = events.turn)
       WHERE seq IN (
        SELECT max(e.seq) FROM events e JOIN news n ON n.agent_id = e.agent_id AND n.turn = e.turn
         WHERE n.kind = 'final' AND n.consumed_at IS NULL AND e.type = 'agent'
           AND json_extract(e.data, '$.to') IN ('completed', 'errored')
         GROUP BY e.agent_id, e.turn);
      DROP TABLE news;
    `,
  },
  {
    version: 6,
    description:
      "runtime truth in the store: ownership by server instance and host, queued follow-ups, turn deadlines, control requests, each client's session",
    sql: `
      -- Which server instance, on which host, runs the agent (beside its pid and start token):
      -- a pid says nothing on another machine, and a server instance id names one server run.
      ALTER TABLE agents ADD COLUMN owner_host TEXT;
      ALTER TABLE agents ADD COLUMN owner_server TEXT;
      -- When the open turn is cut short by limits.turn_timeout_ms.
      ALTER TABLE agent_turns ADD COLUMN deadline_at TEXT;

      -- Follow-ups that arrived while a turn was running, oldest first: each becomes a next turn,
      -- taken in the transaction that starts it, so a server that dies leaves them to the next.
      CREATE TABLE followups (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        agent_id   TEXT NOT NULL REFERENCES agents(id),
        -- what the worker is given, and what its turn is recorded as (the task without framing)
        text       TEXT NOT NULL,
        task       TEXT NOT NULL,
        queued_at  TEXT NOT NULL
      ) STRICT;
      CREATE INDEX followups_by_agent ON followups (agent_id, id);

      -- A verb for an agent that another live server runs: that server executes it and records
      -- the outcome. pending -> taken -> done | failed; pending -> expired when nobody took it.
      CREATE TABLE control_requests (
        id                  INTEGER PRIMARY KEY AUTOINCREMENT,
        session_id          TEXT NOT NULL,
        agent_id            TEXT NOT NULL REFERENCES agents(id),
        -- the server instance asked to execute it
        server              TEXT NOT NULL,
        verb                TEXT NOT NULL CHECK (verb IN ('followup', 'interrupt', 'send', 'close')),
        args                TEXT NOT NULL CHECK (json_valid(args)),
        requested_by        TEXT NOT NULL,
        requester_agent_id  TEXT,
        state               TEXT NOT NULL CHECK (state IN ('pending', 'taken', 'done', 'failed', 'expired')),
        outcome             TEXT CHECK (outcome IS NULL OR json_valid(outcome)),
        requested_at        TEXT NOT NULL,
        done_at             TEXT
      ) STRICT;
      CREATE INDEX control_pending ON control_requests (server, id) WHERE state = 'pending';

      -- The session each top-level client works in, so that a server it restarts finds its team.
      CREATE TABLE client_sessions (
        client_id   TEXT PRIMARY KEY,
        session_id  TEXT NOT NULL,
        updated_at  TEXT NOT NULL
      ) STRICT, WITHOUT ROWID;
    `,
  },
  {
    version: 7,
    description: "a team's lead is an agent of depth 0; the operator's steering directives; session budgets",
    sql: `
      -- Directives a person gives a session's team (maestro steer): each is injected into the lead
      -- and the running workers, and re-applied to later lead turns and new workers while active.
      CREATE TABLE steering (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        session_id  TEXT NOT NULL,
        text        TEXT NOT NULL,
        given_by    TEXT NOT NULL,
        -- the bus message that announced it
        message_seq INTEGER NOT NULL,
        created_at  TEXT NOT NULL,
        cleared_at  TEXT
      ) STRICT;
      CREATE INDEX steering_active ON steering (session_id, id) WHERE cleared_at IS NULL;

      -- A session's own budget (maestro team --budget-usd …): it replaces limits.budget of the
      -- configuration for that session. warned: the budget notices already given, as a JSON list.
      CREATE TABLE session_budgets (
        session_id   TEXT PRIMARY KEY,
        usd          REAL,
        tokens       INTEGER,
        max_agents   INTEGER,
        max_minutes  REAL,
        started_at   TEXT NOT NULL,
        warned       TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(warned))
      ) STRICT, WITHOUT ROWID;
    `,
    loosen: [{ table: 'agents', from: 'CHECK (depth >= 1)', to: 'CHECK (depth >= 0)' }],
  },
  {
    version: 8,
    description: 'maestro host daemons and the spawns addressed to them',
    sql: `
      -- One row per host name (store/host-store.ts). Times are the database's clock.
      CREATE TABLE hosts (
        name           TEXT PRIMARY KEY,
        machine        TEXT NOT NULL,
        labels         TEXT NOT NULL CHECK (json_valid(labels)),
        capacity       INTEGER NOT NULL CHECK (capacity >= 1),
        server         TEXT NOT NULL,
        pid            INTEGER NOT NULL,
        state          TEXT NOT NULL CHECK (state IN ('live', 'stopped', 'lost')),
        heartbeat_ms   INTEGER NOT NULL,
        lost_after_ms  INTEGER NOT NULL,
        started_at     TEXT NOT NULL,
        heartbeat_at   TEXT NOT NULL
      ) STRICT, WITHOUT ROWID;

      CREATE TABLE spawn_requests (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        session_id    TEXT NOT NULL,
        agent_id      TEXT NOT NULL REFERENCES agents(id),
        host          TEXT,
        labels        TEXT NOT NULL CHECK (json_valid(labels)),
        text          TEXT NOT NULL,
        task          TEXT NOT NULL,
        cwd           TEXT,
        state         TEXT NOT NULL CHECK (state IN ('pending', 'taken', 'done', 'failed', 'expired')),
        taken_by      TEXT,
        error         TEXT,
        requested_at  TEXT NOT NULL,
        done_at       TEXT
      ) STRICT;
      CREATE INDEX spawn_pending ON spawn_requests (id) WHERE state = 'pending';
    `,
  },
  {
    version: 9,
    description: "a control request may read: the end of an agent's transcript, from the machine that ran it",
    sql: '',
    loosen: [
      {
        table: 'control_requests',
        from: "CHECK (verb IN ('followup', 'interrupt', 'send', 'close'))",
        to: "CHECK (verb IN ('followup', 'interrupt', 'send', 'close', 'transcript'))",
      },
    ],
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
