#!/usr/bin/env node
/**
 * The `maestro` command. Subcommands load their modules on demand so that a quick
 * `maestro msg list` does not pay for the MCP SDK. Exit codes: 0 success, 1 failure,
 * 2 usage error; a failure prints one line on stderr.
 */
import { MaestroError, errorMessage } from '../errors.js';
import { VERSION } from '../version.js';
import { UsageError, parse, str, flag } from './args.js';

const HELP = `Usage: maestro <command> [options]

maestro runs a team of real coding agents from one coordinating agent, over MCP,
with a shared SQLite message bus.

Commands:
  team       Run a team in this project from the shell ('maestro team --help')
  steer      Steer a running team as its operator ('maestro steer --help')
  budget     A session's budget: what it used, raise its limits ('maestro budget --help')
  ui         A live web dashboard of the project's teams ('maestro ui --help')
  demo       Watch 'maestro team' run real Claude Code agents (offline)
  mcp        Serve the maestro-tools MCP server over stdio (what clients start)
  host       Run this machine's workers for a team on a shared database ('maestro host --help')
  msg        Read and write the team message bus ('maestro msg --help')
  events     The event feed: messages, status changes, turns ('maestro events --help')
  agents     List, inspect and close worker agents ('maestro agents --help')
  install    Install the skills and the server for Claude Code and Codex
  uninstall  Take back what 'maestro install' added
  doctor     Check the set-up: Node, database, clients, registration, skills

Options:
  -h, --help       Show this help
  -v, --version    Print the version

Environment:
  MAESTRO_DB        Database: a file (default: <git top-level>/.maestro/maestro.db) or a
                    postgres:// URL for a team across machines
  MAESTRO_SESSION   Default session for 'maestro msg'
  MAESTRO_LOG_FILE  Server log file ('-' for stderr; default: .maestro/logs/maestro.log)
  MAESTRO_LOG_LEVEL Server log level (default: info)
  NO_COLOR          Never colour output`;

const MCP_HELP = `Usage: maestro mcp [--db <file>]

Serve the maestro-tools MCP server on stdin/stdout. MCP clients start this;
stdout carries only the protocol, logs go to .maestro/logs/maestro.log.

Options:
      --db <file>  Database (default: $MAESTRO_DB, else <git top-level>/.maestro/maestro.db)
  -h, --help       Show this help`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
      process.stderr.write(`${HELP}\n`);
      return 2;
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(`${HELP}\n`);
      return 0;
    case '-v':
    case '--version':
      process.stdout.write(`${VERSION}\n`);
      return 0;
    case 'mcp': {
      const parsed = parse(
        'maestro mcp',
        rest,
        { db: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
        false,
      );
      if (flag(parsed, 'help')) {
        process.stdout.write(`${MCP_HELP}\n`);
        return 0;
      }
      const { serveStdio } = await import('../mcp/stdio.js');
      await serveStdio({ db: str(parsed, 'db') });
      return -1; // keeps serving until stdin closes or a signal arrives
    }
    case 'msg': {
      const { runMsg } = await import('./msg.js');
      return runMsg(rest);
    }
    case 'events': {
      const { runEvents } = await import('./events.js');
      return runEvents(rest);
    }
    case 'agents': {
      const { runAgents } = await import('./agents.js');
      return runAgents(rest);
    }
    case 'install': {
      const { runInstall } = await import('./install.js');
      return runInstall(rest);
    }
    case 'uninstall': {
      const { runUninstall } = await import('./install.js');
      return runUninstall(rest);
    }
    case 'doctor': {
      const { runDoctor } = await import('./doctor.js');
      return runDoctor(rest);
    }
    case 'team': {
      const { runTeamCommand } = await import('./team.js');
      return runTeamCommand(rest);
    }
    case 'steer': {
      const { runSteer } = await import('./steer.js');
      return runSteer(rest);
    }
    case 'budget': {
      const { runBudget } = await import('./budget.js');
      return runBudget(rest);
    }
    case 'ui': {
      const { runUi } = await import('./ui.js');
      return runUi(rest);
    }
    case 'host': {
      const { runHost } = await import('./host.js');
      return runHost(rest);
    }
    case 'demo': {
      const { runDemoCommand } = await import('./demo.js');
      return runDemoCommand(rest);
    }
    default:
      throw new UsageError(`maestro: unknown command '${command}' (see 'maestro --help')`);
  }
}

// Output piped into `head` and closed early is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(
        `${error instanceof MaestroError ? 'maestro' : 'maestro: unexpected error'}: ${errorMessage(error)}\n`,
      );
      process.exitCode = 1;
    }
  },
);
