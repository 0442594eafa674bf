/**
 * Scripted model servers for running the real Claude Code and Codex CLIs offline (tests and the
 * offline demo): the Anthropic Messages and OpenAI Responses servers, their script format, and
 * the isolated environments to start each CLI with.
 *
 *   const server = await startAnthropicServer({
 *     conversations: [{
 *       name: 'worker',
 *       match: { user: /task (?<task>IMPL-\d+) in session (?<session>[\w-]+)/ },
 *       steps: [
 *         { text: 'Logging.', calls: [{ tool: 'team_msg', input: { operation: 'log', session_id: '{{session}}', from: '{{task}}' } }] },
 *         { text: '{{task}} done.' },
 *       ],
 *     }],
 *   });
 *   const { env, cleanup } = claudeOfflineEnv({ baseUrl: server.url });
 *   // spawn claude with env … then: server.requests, await server.close(), cleanup() (after the CLI has exited)
 */
export { startAnthropicServer, viewAnthropic } from './anthropic.js';
export { startOpenAIServer, viewOpenAI } from './openai.js';
export type { RecordedRequest, ScriptedServer } from './http.js';
export {
  fillTemplates,
  matchConversation,
  parseScript,
  planReply,
  resolveToolName,
  type Conversation,
  type Json,
  type Matcher,
  type Plan,
  type RequestView,
  type Script,
  type Step,
  type StepContext,
  type ToolCall,
} from './script.js';
export {
  CODEX_KEY_VAR,
  claudeOfflineEnv,
  codexConfigToml,
  codexOfflineEnv,
  type ClaudeEnvOptions,
  type CodexEnvOptions,
  type OfflineEnv,
} from './offline-env.js';
