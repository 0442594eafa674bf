/**
 * Talking to the dashboard's server: the access token from the address the person opened goes
 * with every request (a header for fetch, the query for EventSource, which cannot set one), and
 * an error comes back as the server's own message.
 */
import type { StreamBatch } from '../stream.js';

export const TOKEN = new URLSearchParams(location.search).get('token') ?? '';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const response = await fetch(path, {
    method,
    headers: {
      Authorization: `Bearer ${TOKEN}`,
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const payload = (await response.json().catch(() => null)) as { error?: { code: string; message: string } } | null;
  if (!response.ok)
    throw new ApiError(
      response.status,
      payload?.error?.code ?? 'unknown',
      payload?.error?.message ?? `the server answered ${response.status}`,
    );
  return payload as T;
}

export const get = <T>(path: string) => call<T>('GET', path);
export const post = <T>(path: string, body: unknown = {}) => call<T>('POST', path, body);

export const enc = encodeURIComponent;

export type Connection = 'live' | 'reconnecting' | 'closed';

/**
 * Follows a server stream; `onState` hears whether it is live. A reconnecting EventSource sends
 * the last id it saw, so the feed continues where it stopped and nothing is shown twice.
 */
export function follow(
  path: string,
  handlers: Record<string, (data: unknown) => void>,
  onState: (state: Connection) => void,
): () => void {
  const url = `${path}${path.includes('?') ? '&' : '?'}token=${enc(TOKEN)}`;
  const source = new EventSource(url);
  source.onopen = () => onState('live');
  source.onerror = () => onState(source.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting');
  for (const [event, handle] of Object.entries(handlers))
    source.addEventListener(event, (e) => handle(JSON.parse((e as MessageEvent<string>).data)));
  return () => source.close();
}

export type { StreamBatch };
