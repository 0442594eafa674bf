/**
 * Text that came from someone else (a worker's summary, a transcript line, an error) made safe
 * for a line-oriented display: control characters are shown, never obeyed. A newline cannot
 * start a forged line, an escape sequence cannot recolour or rewrite the terminal, and a bidi
 * override cannot reorder what is read. Stored data is never changed; only its rendering is.
 */

// C0 controls, DEL and C1 controls; the Unicode line and paragraph separators (which some
// viewers break lines on); and the bidirectional marks, embeddings, overrides and isolates.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeChar(char: string): string {
  const named = NAMED[char];
  if (named) return named;
  const code = char.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * One line showing every character of `text`: `\n`, `\r`, `\t` as written in a string literal,
 * ESC as `\x1b`, NUL as `\x00`, a bidi override as `\u202e`. A backslash is left as it is, so
 * paths stay readable; a literal `\n` typed by a writer looks the same, but cannot break a line.
 */
export function visible(text: string): string {
  return text.replace(UNSAFE, escapeChar);
}

/** A multi-line text as separate lines, each made visible: for blocks such as a worker's result. */
export function visibleLines(text: string): string[] {
  return text.split(/\r?\n/).map(visible);
}
