/**
 * The message bus as every engine must provide it. Ids are per session and contiguous: the
 * store assigns the next sequence number under its own write serialisation, so concurrent
 * writers in any number of processes get no gaps and no duplicates. A mailbox hands each
 * message to exactly one read of its recipient.
 */
import type {
  MailboxCounts,
  Message,
  MemberStatus,
  MessageFilter,
  NewMessage,
  Page,
  RoleState,
  SessionSummary,
} from './records.js';

export interface Mailbox {
  /** The oldest `limit` unread messages for `role`, now marked delivered. */
  readMailbox(sessionId: string, role: string, limit: number): Promise<Message[]>;
  mailboxStatus(sessionId: string, role?: string): Promise<MailboxCounts[]>;
  /** Roles whose mailbox has delivered the message. */
  deliveredTo(sessionId: string, message: Message): Promise<string[]>;
}

export interface MessageStore extends Mailbox {
  /**
   * Appends a message (size limits checked first, see message-size.ts). `newsFor` makes it news
   * for that recipient (an agent id, or '' for the top level; see agent-store.ts), committed with it.
   */
  log(message: NewMessage, newsFor?: string | null): Promise<Message>;
  get(sessionId: string, seq: number): Promise<Message | null>;
  /**
   * The newest `limit` matches (before `beforeSeq` when given: paging back), or with `sinceSeq`
   * the oldest `limit` after it; oldest first either way. `has_more`: more matches lie beyond the
   * page in the direction of paging (older ones, or with `sinceSeq` newer ones).
   */
  list(
    sessionId: string,
    filter: MessageFilter,
    page: { limit: number; sinceSeq?: number | undefined; beforeSeq?: number | undefined },
  ): Promise<Page>;
  /**
   * Full-text search of summaries and data; `query` is what a person types (every word must
   * match). The newest `limit` matches (before `beforeSeq` when given), oldest first; `has_more`:
   * older matches remain.
   */
  search(sessionId: string, query: string, filter: MessageFilter, limit: number, beforeSeq?: number): Promise<Page>;
  remove(sessionId: string, seq: number): Promise<Message | null>;
  /** Removes every message of the session; role state and the id counter stay. */
  clear(sessionId: string): Promise<number>;
  status(sessionId: string): Promise<MemberStatus[]>;
  roleStates(sessionId: string, role?: string): Promise<RoleState[]>;
  sessions(): Promise<SessionSummary[]>;
  /** The highest sequence number assigned in the session so far (0 if none). */
  lastSeq(sessionId: string): Promise<number>;
}
