/**
 * Who may talk to the dashboard: whoever holds this start's random token, through a name of this
 * server. Every request is checked the same way, the page, its script and the event stream
 * included, before anything is read:
 * - the Host header must name this server (a rebinding DNS name that resolves to 127.0.0.1 does
 *   not), else 403;
 * - the token must be given (`Authorization: Bearer …`, or `?token=` where a browser cannot set
 *   a header: the first page load, its script, an EventSource) and match, else 401; a change of
 *   state takes it in the header only, so it never sits in a URL that a form could post to;
 * - an Origin, when the browser sends one, must be this server's, else 403: a page on another
 *   origin can neither read a response nor act (CSRF).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

export type Verdict = { ok: true } | { ok: false; status: 401 | 403; reason: string };

export interface Guard {
  check(request: IncomingMessage, url: URL): Verdict;
  /** The names this server answers to, as `host:port`. */
  readonly hosts: readonly string[];
}

const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'];

/** `host` as it appears in a Host header: an IPv6 address in brackets. */
export function hostForUrl(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

export function createGuard(token: string, listenHost: string, port: number): Guard {
  const names = new Set([...LOOPBACK_NAMES, hostForUrl(listenHost)]);
  const hosts = [...names].map((name) => `${name}:${port}`);
  const origins = new Set(hosts.map((h) => `http://${h}`));
  const expected = Buffer.from(token);

  const tokenMatches = (given: string | null): boolean => {
    if (!given) return false;
    const bytes = Buffer.from(given);
    return bytes.length === expected.length && timingSafeEqual(bytes, expected);
  };

  return {
    hosts,
    check(request, url) {
      const host = (request.headers.host ?? '').toLowerCase();
      if (!hosts.includes(host))
        return { ok: false, status: 403, reason: `this server answers to ${hosts.join(', ')}, not '${host}'` };
      const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1] ?? null;
      const readOnly = request.method === 'GET' || request.method === 'HEAD';
      const given = bearer ?? (readOnly ? url.searchParams.get('token') : null);
      if (!tokenMatches(given))
        return {
          ok: false,
          status: 401,
          reason: given
            ? 'wrong access token: open the URL maestro ui printed'
            : readOnly
              ? 'no access token: open the URL maestro ui printed'
              : 'no access token: a change needs it in the Authorization header',
        };
      const origin = request.headers.origin;
      if (origin !== undefined && !origins.has(origin.toLowerCase()))
        return { ok: false, status: 403, reason: `requests from ${origin} are not allowed` };
      if (request.headers['sec-fetch-site'] === 'cross-site')
        return { ok: false, status: 403, reason: 'cross-site requests are not allowed' };
      return { ok: true };
    },
  };
}
