/**
 * How long MCP clients let one tool call run, as maestro configures them. Codex ends any
 * `tools/call` after its server entry's `tool_timeout_sec` (300 s by default; progress
 * notifications do not extend it), so `maestro install --codex` writes this value, and a server
 * that caps a wait for a Codex caller uses the same number. It must stay above the longest wait
 * the server allows (WAIT_MAX_MS, one hour), with a minute to spare for the answer to travel.
 */
export const CODEX_TOOL_TIMEOUT_SEC = 3660;
