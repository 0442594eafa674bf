/**
 * The supervisor handles one worker's events in the order the worker sent them, each after the
 * store calls of the one before, even when they arrive in one burst or while its launch is still
 * being recorded. Driven by a stand-in backend that emits on cue (no real process).
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/agents/config.js';
import { Supervisor } from '../src/agents/supervisor.js';
import type { Backend, BackendEvent } from '../src/backends/types.js';
import { openSqliteStore } from '../src/bus/sqlite-store.js';
import { silentLogger } from '../src/log.js';
import type { AgentRecord } from '../src/store/records.js';
import { tempDir } from './helpers/temp.js';
import { newAgent } from './helpers/new-agent.js';

/** A backend whose one-turn worker says, in one burst, everything a real one says over a turn. */
function burstBackend(): Backend {
  return {
    name: 'command',
    capabilities: { persistent: false, midTurnInput: false, resume: false, forkTurns: false },
    launch(_spec, _turn, emit) {
      // Before the launch has returned (so before its pid is recorded) ...
      emit({ kind: 'session', id: 'sess-1' });
      // ... and the rest in one go, as from one chunk of the worker's output.
      setImmediate(() => {
        const burst: BackendEvent[] = [
          { kind: 'activity', text: 'working' },
          { kind: 'turn_end', outcome: 'completed', final_message: 'done', error: null, usage: null },
          { kind: 'exit', code: 0, signal: null, error: null },
        ];
        for (const event of burst) emit(event);
      });
      return {
        pid: process.pid, // stands in for the worker's pid: what the exit must clear again
        canTakeTurn: () => false,
        nextTurn: () => undefined,
        canInject: () => false,
        inject: () => false,
        interrupt: () => undefined,
        stop: async () => undefined,
      };
    },
  };
}

describe('worker events', () => {
  it('are handled in the order sent: the session, the turn end and the exit, after the launch is recorded', async () => {
    const dataDir = path.join(tempDir(), '.maestro');
    const dbFile = path.join(dataDir, 'maestro.db');
    const store = openSqliteStore(dbFile);
    const supervisor = new Supervisor({
      agents: store.agents,
      bus: store.messages,
      backends: () => burstBackend(),
      config: loadConfig({ dataDir, env: {} }),
      logger: silentLogger(),
      changes: store.changes,
      dataDir,
      dbFile,
      server: { command: process.execPath, args: [] },
      env: {},
    });
    try {
      const reserved = await store.agents.reserve(
        newAgent('A1', {
          task_name: 'ONE',
          path: '/ONE',
          command: JSON.stringify(['true']),
          cwd: path.dirname(dataDir),
        }),
        { maxOpenAgents: 5, maxDepth: 3 },
      );
      await supervisor.runTurn(reserved, 'do it');
      let agent: AgentRecord | null = null;
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline) {
        agent = await store.agents.get('A1');
        if (agent?.status === 'completed' && !supervisor.owns('A1')) break;
        await store.changes.next(1000);
      }
      expect(agent).toMatchObject({ status: 'completed', backend_session_id: 'sess-1', pid: null, pid_start: null });
      const [turn] = await store.agents.turns('A1');
      expect(turn).toMatchObject({ turn: 1, status: 'completed', final_message: 'done' });
      const events = (await store.feed.read({ since: 0, types: ['agent'], limit: 10 })).events;
      expect(events.map((e) => (e.type === 'agent' ? e.to : e.type))).toEqual(['pending_init', 'running', 'completed']);
    } finally {
      await supervisor.shutdown();
      await store.close();
    }
  });
});
