/**
 * Full-text search on PostgreSQL's own machinery (a tsvector per message under a GIN index,
 * matched by a tsquery), with words cut as SQLite's FTS5 cuts them (the unicode61 tokenizer: runs
 * of letters and digits, case and accents folded), so that a search finds the same messages on
 * either engine. Both sides are built here as tsvector and tsquery literals of plain lexemes:
 * PostgreSQL's parser would keep `user@example.com` or `src/foo.ts` as one token and miss `foo`,
 * and its idea of a letter depends on the database's locale.
 */
import { invalidInput } from '../errors.js';

/** Lexemes longer than this are cut: PostgreSQL refuses a lexeme of 2 KB or more. */
const MAX_LEXEME_CHARS = 500;

function words(text: string): string[] {
  const folded = text
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase();
  return (folded.match(/[\p{L}\p{N}]+/gu) ?? []).map((w) => w.slice(0, MAX_LEXEME_CHARS));
}

/** The tsvector literal of a message's searchable text: its summary and its data as JSON. */
export function searchVector(summary: string, dataJson: string): string {
  const lexemes = new Set([...words(summary), ...words(dataJson)]);
  return [...lexemes].map((w) => `'${w}'`).join(' ');
}

/**
 * What a person typed as a tsquery literal: every word must match, a trailing `*` means "any word
 * starting with". Null when no word holds a letter or a digit (nothing can match).
 */
export function searchQuery(text: string): string | null {
  const typed = text.split(/\s+/).filter((word) => word.replace(/\*+$/, '').length > 0);
  if (typed.length === 0) throw invalidInput('query must contain at least one word');
  const terms = typed.flatMap((word) => {
    const parts = words(word.replace(/\*+$/, ''));
    const prefix = word.endsWith('*');
    return parts.map((part, i) => `'${part}'${prefix && i === parts.length - 1 ? ':*' : ''}`);
  });
  return terms.length ? terms.join(' & ') : null;
}
