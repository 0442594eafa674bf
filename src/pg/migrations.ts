/**
 * The PostgreSQL schema, versioned. Each migration runs once, in the transaction that records its
 * version in `maestro_schema`, under an advisory lock, so servers starting together on several
 * machines never apply one twice. Append only: a released migration is never edited.
 *
 * Version 1 is the SQLite schema as it stands at its version 7 (src/bus/migrations.ts says why each
 * table is there), with what PostgreSQL needs on top:
 * - `feed_head`: the one counter of the event feed. Every write takes its row lock first
 *   (pg-store.ts), so writes commit one at a time in the order of the places they were given, and a
 *   reader following `seq > cursor` never misses an event — the order SQLite's single writer gives.
 * - `messages.feed_seq`: a message's place in the feed (SQLite uses the row id).
 * - `messages.search`: the words of summary and data as a tsvector (search.ts makes it), under a GIN
 *   index: PostgreSQL's own text search.
 * - `hosts` and `spawn_requests` keep their times as timestamptz: liveness is judged on the
 *   database's clock (store/host-store.ts), and shown as ISO text like every other time.
 * - JSON columns are `json` where what was written is handed back as written (message data,
 *   event data), `jsonb` where the database works on them (role state, budget notices).
 */
import { STATUS_SQL_LIST } from '../agents/status.js';

export interface PgMigration {
  version: number;
  description: string;
  sql: string;
}

export const PG_MIGRATIONS: readonly PgMigration[] = [
  {
    version: 1,
    description: 'the bus, the agents, the event feed, control requests, steering, budgets and hosts',
    sql: `
      CREATE TABLE sessions (
        id          text PRIMARY KEY,
        created_at  text NOT NULL,
        next_seq    bigint NOT NULL DEFAULT 1
      );

      CREATE TABLE feed_head (
        singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        seq        bigint NOT NULL
      );
      INSERT INTO feed_head VALUES (true, 0);

      CREATE TABLE messages (
        feed_seq         bigint PRIMARY KEY,
        session_id       text NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        seq              bigint NOT NULL,
        ts               text NOT NULL,
        from_role        text NOT NULL,
        to_role          text NOT NULL,
        type             text NOT NULL,
        summary          text NOT NULL,
        data             json NOT NULL,
        sender_agent_id  text,
        news_for         text,
        search           tsvector NOT NULL,
        UNIQUE (session_id, seq)
      );
      CREATE INDEX messages_by_type ON messages (session_id, type, seq);
      CREATE INDEX messages_by_from ON messages (session_id, from_role, seq);
      CREATE INDEX messages_by_to   ON messages (session_id, to_role, seq);
      CREATE INDEX messages_search  ON messages USING gin (search);
      CREATE INDEX messages_news    ON messages (session_id, news_for, feed_seq) WHERE news_for IS NOT NULL;

      CREATE TABLE message_counts (
        session_id  text NOT NULL,
        from_role   text NOT NULL,
        to_role     text NOT NULL,
        type        text NOT NULL,
        n           bigint NOT NULL,
        PRIMARY KEY (session_id, from_role, to_role, type)
      );
      CREATE FUNCTION maestro_count_messages() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'INSERT' THEN
          INSERT INTO message_counts (session_id, from_role, to_role, type, n)
          VALUES (NEW.session_id, NEW.from_role, NEW.to_role, NEW.type, 1)
          ON CONFLICT (session_id, from_role, to_role, type) DO UPDATE SET n = message_counts.n + 1;
        ELSE
          UPDATE message_counts SET n = n - 1
           WHERE session_id = OLD.session_id AND from_role = OLD.from_role
             AND to_role = OLD.to_role AND type = OLD.type;
          DELETE FROM message_counts
           WHERE session_id = OLD.session_id AND from_role = OLD.from_role
             AND to_role = OLD.to_role AND type = OLD.type AND n <= 0;
        END IF;
        RETURN NULL;
      END $$;
      CREATE TRIGGER messages_counted AFTER INSERT OR DELETE ON messages
        FOR EACH ROW EXECUTE FUNCTION maestro_count_messages();

      CREATE TABLE mailbox_cursors (
        session_id         text NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        recipient          text NOT NULL,
        delivered_through  bigint NOT NULL,
        updated_at         text NOT NULL,
        PRIMARY KEY (session_id, recipient)
      );

      CREATE TABLE role_state (
        session_id  text NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        role        text NOT NULL,
        state       jsonb NOT NULL,
        updated_at  text NOT NULL,
        updated_by  bigint NOT NULL,
        PRIMARY KEY (session_id, role)
      );

      -- RFC 7396 JSON merge patch, as SQLite's json_patch: null removes a key, objects merge deeply.
      CREATE FUNCTION maestro_merge_patch(target jsonb, patch jsonb) RETURNS jsonb
        LANGUAGE plpgsql IMMUTABLE AS $$
      DECLARE
        key text;
        value jsonb;
        merged jsonb;
      BEGIN
        IF jsonb_typeof(patch) IS DISTINCT FROM 'object' THEN RETURN patch; END IF;
        merged := CASE WHEN jsonb_typeof(target) = 'object' THEN target ELSE '{}'::jsonb END;
        FOR key, value IN SELECT * FROM jsonb_each(patch) LOOP
          IF jsonb_typeof(value) = 'null' THEN
            merged := merged - key;
          ELSE
            merged := jsonb_set(merged, ARRAY[key], maestro_merge_patch(merged -> key, value));
          END IF;
        END LOOP;
        RETURN merged;
      END $$;

      CREATE TABLE agents (
        id                  text PRIMARY KEY,
        session_id          text NOT NULL REFERENCES sessions(id),
        task_name           text NOT NULL,
        nickname            text,
        agent_type          text NOT NULL,
        parent_id           text REFERENCES agents(id),
        depth               integer NOT NULL CHECK (depth >= 0),
        path                text NOT NULL,
        backend             text NOT NULL,
        command             text,
        model               text,
        reasoning_effort    text,
        cwd                 text NOT NULL,
        worktree            text,
        branch              text,
        status              text NOT NULL CHECK (status IN (${STATUS_SQL_LIST})),
        status_reason       text,
        turn                integer NOT NULL DEFAULT 0,
        last_task_message   text,
        backend_session_id  text,
        pid                 integer,
        pid_start           text,
        owner_pid           integer,
        owner_start         text,
        owner_host          text,
        owner_server        text,
        client_id           text,
        input_tokens        bigint NOT NULL DEFAULT 0,
        cached_input_tokens bigint NOT NULL DEFAULT 0,
        output_tokens       bigint NOT NULL DEFAULT 0,
        cost_usd            double precision NOT NULL DEFAULT 0,
        created_at          text NOT NULL,
        updated_at          text NOT NULL,
        closed_at           text
      );
      CREATE UNIQUE INDEX agents_open_task ON agents (session_id, task_name) WHERE status <> 'shutdown';
      CREATE INDEX agents_by_parent ON agents (session_id, parent_id);
      CREATE INDEX agents_by_process ON agents (pid) WHERE pid IS NOT NULL;
      CREATE INDEX agents_by_owner ON agents (owner_pid) WHERE owner_pid IS NOT NULL;

      -- result and usage as JSON text, read by the same converter as SQLite's (bus/agent-rows.ts)
      CREATE TABLE agent_turns (
        agent_id       text NOT NULL REFERENCES agents(id),
        turn           integer NOT NULL,
        task           text NOT NULL,
        status         text NOT NULL CHECK (status IN (${STATUS_SQL_LIST})),
        final_message  text,
        result         text,
        error          text,
        usage          text,
        started_at     text NOT NULL,
        ended_at       text,
        reported_at    text,
        deadline_at    text,
        PRIMARY KEY (agent_id, turn)
      );

      CREATE TABLE events (
        seq         bigint PRIMARY KEY,
        session_id  text NOT NULL,
        ts          text NOT NULL,
        type        text NOT NULL,
        agent_id    text,
        turn        integer,
        data        json NOT NULL,
        news_for    text
      );
      CREATE INDEX events_by_session ON events (session_id, seq);
      CREATE INDEX events_by_agent ON events (agent_id, seq) WHERE agent_id IS NOT NULL;
      CREATE INDEX events_news ON events (session_id, news_for, seq) WHERE news_for IS NOT NULL;

      CREATE TABLE news_cursors (
        session_id         text NOT NULL,
        recipient          text NOT NULL,
        delivered_through  bigint NOT NULL,
        PRIMARY KEY (session_id, recipient)
      );
      CREATE TABLE news_acks (
        session_id  text NOT NULL,
        recipient   text NOT NULL,
        seq         bigint NOT NULL,
        PRIMARY KEY (session_id, recipient, seq)
      );

      CREATE TABLE followups (
        id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        agent_id   text NOT NULL REFERENCES agents(id),
        text       text NOT NULL,
        task       text NOT NULL,
        queued_at  text NOT NULL
      );
      CREATE INDEX followups_by_agent ON followups (agent_id, id);

      CREATE TABLE control_requests (
        id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        session_id          text NOT NULL,
        agent_id            text NOT NULL REFERENCES agents(id),
        server              text NOT NULL,
        verb                text NOT NULL CHECK (verb IN ('followup', 'interrupt', 'send', 'close')),
        args                json NOT NULL,
        requested_by        text NOT NULL,
        requester_agent_id  text,
        state               text NOT NULL CHECK (state IN ('pending', 'taken', 'done', 'failed', 'expired')),
        outcome             json,
        requested_at        text NOT NULL,
        done_at             text
      );
      CREATE INDEX control_pending ON control_requests (server, id) WHERE state = 'pending';

      CREATE TABLE client_sessions (
        client_id   text PRIMARY KEY,
        session_id  text NOT NULL,
        updated_at  text NOT NULL
      );

      CREATE TABLE steering (
        id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        session_id   text NOT NULL,
        text         text NOT NULL,
        given_by     text NOT NULL,
        message_seq  bigint NOT NULL,
        created_at   text NOT NULL,
        cleared_at   text
      );
      CREATE INDEX steering_active ON steering (session_id, id) WHERE cleared_at IS NULL;

      CREATE TABLE session_budgets (
        session_id   text PRIMARY KEY,
        usd          double precision,
        tokens       bigint,
        max_agents   integer,
        max_minutes  double precision,
        started_at   text NOT NULL,
        warned       jsonb NOT NULL DEFAULT '[]'
      );

      CREATE TABLE hosts (
        name           text PRIMARY KEY,
        machine        text NOT NULL,
        labels         jsonb NOT NULL,
        capacity       integer NOT NULL CHECK (capacity >= 1),
        server         text NOT NULL,
        pid            integer NOT NULL,
        state          text NOT NULL CHECK (state IN ('live', 'stopped', 'lost')),
        heartbeat_ms   integer NOT NULL,
        lost_after_ms  integer NOT NULL,
        started_at     timestamptz NOT NULL,
        heartbeat_at   timestamptz NOT NULL
      );

      CREATE TABLE spawn_requests (
        id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        session_id    text NOT NULL,
        agent_id      text NOT NULL REFERENCES agents(id),
        host          text,
        labels        jsonb NOT NULL,
        text          text NOT NULL,
        task          text NOT NULL,
        cwd           text,
        state         text NOT NULL CHECK (state IN ('pending', 'taken', 'done', 'failed', 'expired')),
        taken_by      text,
        error         text,
        requested_at  timestamptz NOT NULL,
        done_at       timestamptz
      );
      CREATE INDEX spawn_pending ON spawn_requests (id) WHERE state = 'pending';
    `,
  },
  {
    version: 2,
    description: 'a message logged by one statement: maestro_log takes the write lock and notifies itself',
    // A log is the team's commonest write. As one function called outside any transaction block,
    // the write lock (the feed's counter row, pg-store.ts) is held for the statement's own work and
    // commit only, never across a round trip to the client.
    sql: `
      -- The notice of a commit: the payload names the store that made it (the connection's
      -- maestro.instance, pg-store.ts), so that store does not hear its own writes twice.
      CREATE FUNCTION maestro_notify() RETURNS void LANGUAGE sql AS $$
        SELECT pg_notify('maestro_changes', coalesce(current_setting('maestro.instance', true), ''))
      $$;

      CREATE FUNCTION maestro_log(p_session text, p_ts text, p_from text, p_to text, p_type text, p_summary text,
                                  p_data json, p_sender text, p_news_for text, p_search tsvector) RETURNS bigint
        LANGUAGE plpgsql AS $$
      DECLARE
        v_seq bigint;
        v_place bigint;
      BEGIN
        PERFORM seq FROM feed_head FOR UPDATE;
        INSERT INTO sessions (id, created_at, next_seq) VALUES (p_session, p_ts, 2)
          ON CONFLICT (id) DO UPDATE SET next_seq = sessions.next_seq + 1
          RETURNING next_seq - 1 INTO v_seq;
        UPDATE feed_head SET seq = seq + 1 RETURNING seq INTO v_place;
        INSERT INTO messages (feed_seq, session_id, seq, ts, from_role, to_role, type, summary, data,
                              sender_agent_id, news_for, search)
        VALUES (v_place, p_session, v_seq, p_ts, p_from, p_to, p_type, p_summary, p_data, p_sender, p_news_for,
                p_search);
        IF p_type = 'state_update' THEN
          INSERT INTO role_state (session_id, role, state, updated_at, updated_by)
          VALUES (p_session, p_from, maestro_merge_patch('{}', p_data::jsonb), p_ts, v_seq)
          ON CONFLICT (session_id, role) DO UPDATE
            SET state = maestro_merge_patch(role_state.state, excluded.state), updated_at = excluded.updated_at,
                updated_by = excluded.updated_by;
        END IF;
        PERFORM maestro_notify();
        RETURN v_seq;
      END $$;
    `,
  },
  {
    version: 3,
    description: "a control request may read: the end of an agent's transcript, from the machine that ran it",
    sql: `
      ALTER TABLE control_requests DROP CONSTRAINT control_requests_verb_check;
      ALTER TABLE control_requests ADD CONSTRAINT control_requests_verb_check
        CHECK (verb IN ('followup', 'interrupt', 'send', 'close', 'transcript'));
    `,
  },
  {
    version: 4,
    description: "a worker's result recorded by one statement: maestro_report takes the write lock and notifies itself",
    // The report is what a waiting coordinator wakes for: as one statement (as maestro_log), its
    // write holds the lock for no round trip, and the report costs the worker's server one.
    sql: `
      CREATE FUNCTION maestro_report(p_agent text, p_result text, p_ts text, OUT turn integer, OUT accepted boolean)
        LANGUAGE plpgsql AS $$
      DECLARE
        v_agent agents%ROWTYPE;
        v_ended text;
        v_place bigint;
      BEGIN
        PERFORM seq FROM feed_head FOR UPDATE;
        SELECT * INTO v_agent FROM agents WHERE id = p_agent;
        IF NOT FOUND THEN
          turn := NULL;
          accepted := false;
          RETURN;
        END IF;
        turn := v_agent.turn;
        SELECT t.status INTO v_ended FROM agent_turns t WHERE t.agent_id = p_agent AND t.turn = v_agent.turn;
        UPDATE agent_turns t SET result = p_result, reported_at = p_ts
         WHERE t.agent_id = p_agent AND t.turn = v_agent.turn AND t.reported_at IS NULL;
        accepted := FOUND;
        IF accepted THEN
          -- A result reported after the turn ended is recorded, but the ending was the news.
          UPDATE feed_head SET seq = seq + 1 RETURNING seq INTO v_place;
          INSERT INTO events (seq, session_id, ts, type, agent_id, turn, data, news_for)
          VALUES (v_place, v_agent.session_id, p_ts, 'result', p_agent, v_agent.turn,
                  json_build_object('task_name', v_agent.task_name),
                  CASE WHEN v_ended IN ('completed', 'errored') THEN NULL ELSE coalesce(v_agent.parent_id, '') END);
          PERFORM maestro_notify();
        END IF;
      END $$;
    `,
  },
];

export const PG_SCHEMA_VERSION = PG_MIGRATIONS[PG_MIGRATIONS.length - 1]!.version;
