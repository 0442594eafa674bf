/**
 * Project configuration: `.maestro/config.json` beside the database (or MAESTRO_CONFIG). Agent
 * types (roles) map to a backend, model, instructions and permissions; limits bound what a team
 * may do. Every field has a default, so no file is needed; a file with a mistake is an error
 * that names the field.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { MaestroError } from '../errors.js';
import { BACKEND_NAMES, CODEX_TRANSPORTS, type BackendName } from '../backends/types.js';
import { budgetLimitsSchema } from '../store/budget-store.js';
import { DEFAULT_PRICING, priceOf, priceSchema, type Price } from './pricing.js';
import { ENV_NAME, ENV_PATTERN, reservedReason } from './worker-env.js';

export const CONFIG_FILE = 'config.json';

const agentType = z.strictObject({
  description: z.string().optional(),
  backend: z.enum(BACKEND_NAMES).optional(),
  model: z.string().min(1).optional(),
  reasoning_effort: z.string().min(1).optional(),
  /** Markdown file with the role's instructions, relative to the project root. */
  instructions: z.string().min(1).optional(),
  /** Claude Code --permission-mode. */
  permission_mode: z.string().min(1).optional(),
  /** Claude Code --allowedTools, in addition to maestro's own tools. */
  allowed_tools: z.array(z.string().min(1)).optional(),
  /** argv for the command backend. */
  command: z.array(z.string().min(1)).min(1).optional(),
});
export type AgentTypeConfig = z.infer<typeof agentType>;

const command = z.array(z.string().min(1)).min(1);
const executable = z.strictObject({ command });
/** `transport`: `app-server` (default: messages join a running turn) or the fallback `exec` (a process per turn). */
const codexSettings = z.strictObject({ command: command.optional(), transport: z.enum(CODEX_TRANSPORTS).optional() });

const NAME_RULE = 'letters, digits and _, not starting with a digit';

/** A name the configuration may not pass or set, with why; patterns only ever add. */
function checkEnvName(name: string, ctx: z.RefinementCtx, path: (string | number)[] = []): void {
  const reason = reservedReason(name);
  if (reason) ctx.addIssue({ code: 'custom', path, message: `${reason}: it cannot be passed or set` });
}

/** More of the server's environment for workers (see src/agents/worker-env.ts). */
const workerEnvSchema = z
  .strictObject({
    /** Names, or prefixes ending in `*`, passed from the server's environment. */
    pass: z
      .array(
        z.string().superRefine((value, ctx) => {
          if (!ENV_PATTERN.test(value)) {
            ctx.addIssue({
              code: 'custom',
              message: `'${value}' is not a variable name or a prefix ending in * (${NAME_RULE})`,
            });
          } else if (!value.endsWith('*')) checkEnvName(value, ctx);
        }),
      )
      .default([]),
    /** Variables set to these values in every worker. */
    set: z
      .record(z.string(), z.string())
      .superRefine((values, ctx) => {
        for (const name of Object.keys(values)) {
          if (!ENV_NAME.test(name)) {
            ctx.addIssue({ code: 'custom', path: [name], message: `'${name}' is not a variable name (${NAME_RULE})` });
          } else checkEnvName(name, ctx, [name]);
        }
      })
      .default({}),
  })
  .default({ pass: [], set: {} });

const configSchema = z.strictObject({
  /**
   * The team's database when MAESTRO_DB does not name one (read by bus/paths.ts): a postgres:// URL
   * for a team across machines, or a SQLite file relative to the project root.
   */
  database: z.string().min(1, { error: 'expected a postgres:// URL or a file path' }).optional(),
  agent_types: z.record(z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/), agentType).default({}),
  backends: z.strictObject({ claude: executable.optional(), codex: codexSettings.optional() }).default({}),
  worker_env: workerEnvSchema,
  /** Directories outside the project that spawn_agent may give a worker as its cwd (absolute or project-relative). */
  allowed_dirs: z
    .array(z.string().min(1, { error: 'expected a directory path' }))
    .max(100)
    .default([]),
  /** Dollars per million tokens by model, for Codex (which reports no cost): added to the defaults (agents/pricing.ts). */
  pricing: z.record(z.string().min(1), priceSchema).default({}),
  limits: z
    .strictObject({
      max_open_agents: z.number().int().min(1).max(1000).default(8),
      max_depth: z.number().int().min(1).max(10).default(2),
      /** A turn running longer than this is ended as errored ("timed out"). */
      turn_timeout_ms: z
        .number()
        .int()
        .min(1000)
        .default(60 * 60 * 1000),
      /** A persistent worker idle this long lets its process go; the next turn resumes it. */
      idle_timeout_ms: z
        .number()
        .int()
        .min(1000)
        .default(10 * 60 * 1000),
      /** Grace between asking a worker to stop and killing its process group. */
      stop_grace_ms: z.number().int().min(0).max(60_000).default(3000),
      /** How much of a result wait_agent returns. */
      result_chars: z.number().int().min(100).max(1_000_000).default(8000),
      /** How long a server waits for the server that runs an agent to take a control request. */
      control_timeout_ms: z.number().int().min(100).max(600_000).default(30_000),
      /** How often a `maestro host` records that it is alive. */
      host_heartbeat_ms: z.number().int().min(100).max(60_000).default(2000),
      /** A host silent this long is lost: its agents' turns end as errored (store/host-store.ts). */
      host_lost_ms: z.number().int().min(500).max(3_600_000).default(15_000),
      /** Every session's budget (a session's own, set by maestro team or maestro budget, wins field by field). */
      budget: budgetLimitsSchema.optional(),
    })
    .default({
      max_open_agents: 8,
      max_depth: 2,
      turn_timeout_ms: 60 * 60 * 1000,
      idle_timeout_ms: 10 * 60 * 1000,
      stop_grace_ms: 3000,
      result_chars: 8000,
      control_timeout_ms: 30_000,
      host_heartbeat_ms: 2000,
      host_lost_ms: 15_000,
    }),
});
export type Config = z.infer<typeof configSchema>;

/** Role defaults that work with no file: the skills pass default, team_worker and team_supervisor; `maestro team` runs a lead. */
const BUILT_IN_TYPES: Record<string, AgentTypeConfig> = {
  default: { description: 'A general worker', backend: 'claude' },
  team_worker: { description: 'A team worker: does one task, reports progress and its result', backend: 'claude' },
  team_supervisor: { description: 'A resident reviewer woken for checkpoints', backend: 'claude' },
  lead: {
    description: "The lead of a team that 'maestro team' runs: the coordinator, as an agent",
    backend: 'claude',
    allowed_tools: ['Read', 'Write', 'Edit', 'Glob', 'Grep', 'Bash'],
  },
};

export interface ProjectConfig {
  config: Config;
  /** The directory relative paths in the file are resolved against. */
  projectRoot: string;
  file: string | null;
  agentTypes(): Record<string, AgentTypeConfig>;
  /** The agent type's settings, or an error listing the known types. */
  agentType(name: string): AgentTypeConfig;
  executable(backend: BackendName): string[];
  /** What a model's tokens cost (agents/pricing.ts). */
  price(model: string | null): Price;
}

export function loadConfig(options: { dataDir: string; env?: NodeJS.ProcessEnv }): ProjectConfig {
  const env = options.env ?? process.env;
  const file = env.MAESTRO_CONFIG ? path.resolve(env.MAESTRO_CONFIG) : path.join(options.dataDir, CONFIG_FILE);
  let raw: unknown = {};
  const exists = existsSync(file);
  if (exists) {
    try {
      raw = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new MaestroError('invalid_input', `${file} is not valid JSON: ${(error as Error).message}`);
    }
  }
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new MaestroError('invalid_input', `${file}: ${issue.path.join('.') || '(top level)'}: ${issue.message}`);
  }
  const config = parsed.data;
  const types = { ...BUILT_IN_TYPES, ...config.agent_types };
  const pricing = { ...DEFAULT_PRICING, ...config.pricing };
  return {
    config,
    projectRoot: path.dirname(options.dataDir),
    file: exists ? file : null,
    agentTypes: () => types,
    agentType(name) {
      const found = types[name];
      if (!found) {
        throw new MaestroError(
          'invalid_input',
          `unknown agent_type '${name}'; known types: ${Object.keys(types).sort().join(', ')} (add more under agent_types in ${file})`,
        );
      }
      return found;
    },
    price: (model) => priceOf(pricing, model),
    executable(backend) {
      if (backend === 'command') return [];
      return config.backends[backend]?.command ?? [backend];
    },
  };
}
