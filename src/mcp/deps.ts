/** What every tool handler is given: built once per server process and passed in, never global. */
import type { MessageStore } from '../bus/message-store.js';
import type { Logger } from '../log.js';
import type { Caller } from '../ops/caller.js';

export interface ToolDeps {
  store: MessageStore;
  caller: Caller;
  logger: Logger;
}
