/**
 * Secret values this process knows, scrubbed out of every line written to a log or a transcript.
 * Redacting by field name (log.ts) only catches a secret logged under a known key; the same
 * value also arrives inside strings — an error message or stack, a worker's output, a task's
 * text — so the values themselves are replaced wherever they appear. Known are the values of
 * this process's secret-looking environment variables (an API key the workers also get) and any
 * value a caller adds.
 */

export const CENSOR = '[redacted]';

/** Shorter values are not treated as secrets: replacing `1` or `true` everywhere would ruin logs. */
const MIN_LENGTH = 8;

/** Names whose values are credentials; `_FILE`, `_PATH`, `_DIR`, `_SOCK` name where one is, not what. */
const SECRET_NAME = /(KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIALS?|AUTH)(_|$)/i;
const LOCATION_NAME = /_(FILE|PATH|DIR|SOCK)$/i;

const known = new Set<string>();
let environmentRead = false;

export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name) && !LOCATION_NAME.test(name);
}

/** Remembers a secret value: from now on it is scrubbed from what this process writes. */
export function addSecret(value: string | undefined): void {
  if (!value || value.length < MIN_LENGTH) return;
  known.add(value);
  // In a JSON log line the value appears escaped.
  const escaped = JSON.stringify(value).slice(1, -1);
  if (escaped !== value) known.add(escaped);
}

/** Remembers the values of the secret-looking variables of `env`. */
export function addSecretsFrom(env: NodeJS.ProcessEnv): void {
  for (const [name, value] of Object.entries(env)) if (isSecretName(name)) addSecret(value);
}

/** `text` with every known secret value replaced by [redacted]. */
export function scrub(text: string): string {
  if (!environmentRead) {
    environmentRead = true;
    addSecretsFrom(process.env);
  }
  let out = text;
  for (const value of known) if (out.includes(value)) out = out.split(value).join(CENSOR);
  return out;
}
