/**
 * Versioned schema. Each migration runs once, inside the same write transaction that bumps
 * `PRAGMA user_version`, so concurrent openers never apply one twice. Append only: a released
 * migration is never edited.
 */

export interface Migration {
  version: number;
  description: string;
  sql: string;
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
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
