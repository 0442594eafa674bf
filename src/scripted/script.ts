/**
 * The script a scripted model server plays: per-agent conversations, each picked by matching the
 * request (regexes against its system prompt / first user message, or a function), and the step
 * within it derived from the request alone (how many assistant turns its history already holds),
 * so parallel agents and retries cannot desynchronise it. Scripts can be written in TypeScript
 * (function forms allowed) or loaded from JSON (`parseScript`, `{{capture}}` templates).
 */
import { z } from 'zod';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** What the script sees of a request, whichever API it came through. */
export interface RequestView {
  api: 'anthropic' | 'openai';
  /** System prompt text (Anthropic `system`; OpenAI `instructions` plus developer/system messages). */
  system: string;
  /** Text of the first user message that is the agent's task (context preambles skipped). */
  firstUser: string;
  /** Text of every user message, in order (tool results excluded). */
  userTexts: string[];
  /** Text that arrived after the last assistant turn (user text, tool results, system notes). */
  latest: string;
  /** Completed assistant turns in the history: the index of the step to play. */
  step: number;
  /** Tool names the request offers (Codex namespaced tools as `namespace__name`). */
  tools: string[];
  /** The raw request body. */
  body: any;
}

export interface StepContext {
  request: RequestView;
  /** Named captures of the conversation's match. */
  vars: Record<string, string>;
  step: number;
}

export interface ToolCall {
  /** A name from the request's tool list, or a suffix of one: `team_msg` finds `mcp__maestro-tools__team_msg`. */
  tool: string;
  /** The tool's input; strings in it are templates (`{{name}}` from the match's named captures). */
  input: Json | ((ctx: StepContext) => Json);
}

/** One model reply: some text and/or tool calls; `delayMs` holds the reply back (for injection/interrupt tests). */
export interface Step {
  text?: string | ((ctx: StepContext) => string);
  calls?: ToolCall[];
  delayMs?: number;
}

export type Matcher =
  | { system?: RegExp | string; user?: RegExp | string }
  | ((request: RequestView) => Record<string, string> | boolean | null | undefined);

export interface Conversation {
  name: string;
  match: Matcher;
  steps: Array<Step | ((ctx: StepContext) => Step)>;
  /** Reply once the steps are exhausted (default "Done."). */
  final?: string;
  /** Also claim requests that offer no tools (side requests such as titles never do). Default false. */
  toolless?: boolean;
}

export interface Script {
  conversations: Conversation[];
  /** Reply to requests no conversation claims (default "OK."). */
  fallback?: string;
}

/** A reply decided for one request, tool names not yet resolved against the request's tools. */
export interface Plan {
  conversation: string | null;
  step: number;
  text: string;
  calls: Array<{ tool: string; input: Json }>;
  delayMs: number;
}

function regex(pattern: RegExp | string): RegExp {
  return typeof pattern === 'string' ? new RegExp(pattern) : pattern;
}

/** The named captures if `conversation` claims the request, else null. */
export function matchConversation(conversation: Conversation, request: RequestView): Record<string, string> | null {
  if (!conversation.toolless && request.tools.length === 0) return null;
  const { match } = conversation;
  if (typeof match === 'function') {
    const result = match(request);
    if (!result) return null;
    return result === true ? {} : result;
  }
  const vars: Record<string, string> = {};
  for (const [pattern, text] of [
    [match.system, request.system],
    [match.user, request.firstUser],
  ] as const) {
    if (pattern === undefined) continue;
    const found = regex(pattern).exec(text);
    if (!found) return null;
    for (const [key, value] of Object.entries(found.groups ?? {})) if (value !== undefined) vars[key] = value;
  }
  return vars;
}

/** Fills `{{name}}` in every string of `value` from `vars` (unknown names are left as they are). */
export function fillTemplates(value: Json, vars: Record<string, string>): Json {
  if (typeof value === 'string') return value.replace(/\{\{\s*(\w+)\s*\}\}/g, (all, key: string) => vars[key] ?? all);
  if (Array.isArray(value)) return value.map((item) => fillTemplates(item, vars));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fillTemplates(v, vars)]));
  return value;
}

export function planReply(script: Script, request: RequestView): Plan {
  for (const conversation of script.conversations) {
    const matched = matchConversation(conversation, request);
    if (!matched) continue;
    const vars = { ...matched, step: String(request.step) };
    const ctx: StepContext = { request, vars, step: request.step };
    const entry = conversation.steps[request.step];
    if (entry === undefined)
      return {
        conversation: conversation.name,
        step: request.step,
        text: conversation.final ?? 'Done.',
        calls: [],
        delayMs: 0,
      };
    const step = typeof entry === 'function' ? entry(ctx) : entry;
    const text = typeof step.text === 'function' ? step.text(ctx) : (step.text ?? '');
    return {
      conversation: conversation.name,
      step: request.step,
      text: fillTemplates(text, vars) as string,
      calls: (step.calls ?? []).map((call) => ({
        tool: fillTemplates(call.tool, vars) as string,
        input: typeof call.input === 'function' ? call.input(ctx) : fillTemplates(call.input, vars),
      })),
      delayMs: step.delayMs ?? 0,
    };
  }
  return { conversation: null, step: request.step, text: script.fallback ?? 'OK.', calls: [], delayMs: 0 };
}

/**
 * Picks the request's tool for a script's tool name: an exact name, else the one whose name ends
 * with `__<name>` (hyphens and underscores compared alike), else null.
 */
export function resolveToolName(wanted: string, offered: string[]): string | null {
  const norm = (s: string) => s.replace(/-/g, '_');
  return (
    offered.find((name) => name === wanted) ??
    offered.find((name) => norm(name) === norm(wanted)) ??
    offered.find((name) => norm(name).endsWith(`__${norm(wanted)}`)) ??
    null
  );
}

// ---- JSON form ----

const json: z.ZodType<Json> = z.lazy(() =>
  z.union([z.null(), z.boolean(), z.number(), z.string(), z.array(json), z.record(z.string(), json)]),
);

const jsonScript = z.object({
  conversations: z.array(
    z.object({
      name: z.string(),
      match: z.object({ system: z.string().optional(), user: z.string().optional() }),
      steps: z.array(
        z.object({
          text: z.string().optional(),
          calls: z.array(z.object({ tool: z.string(), input: json })).optional(),
          delayMs: z.number().int().nonnegative().optional(),
        }),
      ),
      final: z.string().optional(),
      toolless: z.boolean().optional(),
    }),
  ),
  fallback: z.string().optional(),
});

/** A script from its JSON form (regexes as pattern strings; templates in texts and inputs). Throws on a bad shape or regex. */
export function parseScript(source: string | unknown): Script {
  const parsed = jsonScript.parse(typeof source === 'string' ? JSON.parse(source) : source);
  for (const c of parsed.conversations) for (const p of [c.match.system, c.match.user]) if (p) new RegExp(p);
  return parsed as Script;
}
