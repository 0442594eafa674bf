/**
 * The dashboard's HTTP server (node's own http): the page and its script, a JSON API over the
 * project's stores, the live event and transcript streams, and the overseer's actions. Every
 * request passes the guard (guard.ts) first; every response carries headers that keep the page
 * to itself (no framing, no other origin's scripts, no referrer leaking the token).
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { MaestroError, errorMessage, type ErrorCode } from '../errors.js';
import type { Logger } from '../log.js';
import type { AgentDeps } from '../ops/agents/deps.js';
import { transcriptDirHere } from '../ops/agents/transcript.js';
import type { Caller } from '../ops/caller.js';
import { PACKAGE_ROOT } from '../package-root.js';
import { AGENT_ACTIONS, SESSION_ACTIONS, checkBody } from './actions.js';
import { createGuard, hostForUrl, newToken } from './guard.js';
import { streamFeed } from './stream.js';
import { streamRemoteTranscript } from './remote-transcript.js';
import { streamTranscript } from './transcript-stream.js';
import { agentDetail, agentIn, messagePage, messageQuerySchema, sessionRows, sessionView } from './views.js';

export const ASSETS_DIR = path.join(PACKAGE_ROOT, 'dist', 'ui');

export interface UiServerOptions {
  deps: AgentDeps;
  /** Who the actions are taken as: the person (`user`). */
  caller: Caller;
  host: string;
  /** 0: any free port. */
  port: number;
  token?: string;
  logger: Logger;
  assetsDir?: string;
}

export interface UiServer {
  /** The address to open, the token included. */
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const STATUS: Record<ErrorCode, number> = {
  invalid_input: 400,
  too_large: 413,
  not_found: 404,
  forbidden: 403,
  limit: 409,
  conflict: 409,
  unavailable: 503,
  timeout: 504,
  schema_too_new: 500,
  storage: 500,
};

const SECURITY_HEADERS = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

const MAX_BODY = 256 * 1024;

const ASSETS: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
  '/favicon.svg': { file: 'favicon.svg', type: 'image/svg+xml' },
};

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export async function startUiServer(options: UiServerOptions): Promise<UiServer> {
  const { deps, caller, logger } = options;
  const token = options.token ?? newToken();
  const assetsDir = options.assetsDir ?? ASSETS_DIR;
  const streams = new Set<AbortController>();
  let guard = createGuard(token, options.host, options.port);

  const asset = (name: string): Buffer => {
    try {
      return readFileSync(path.join(assetsDir, name));
    } catch {
      throw new HttpError(
        500,
        'unavailable',
        `the page is not built (${path.join(assetsDir, name)}): run npm run build`,
      );
    }
  };

  const send = (response: ServerResponse, status: number, body: unknown) => {
    response.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
    response.end(JSON.stringify(body));
  };

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) response.setHeader(name, value);
    const url = new URL(request.url ?? '/', 'http://ui.invalid');
    const verdict = guard.check(request, url);
    if (!verdict.ok) {
      const code = verdict.status === 401 ? 'unauthorized' : 'forbidden';
      return send(response, verdict.status, { error: { code, message: verdict.reason } });
    }
    const method = request.method ?? 'GET';
    const parts = url.pathname.split('/').filter(Boolean).map(decodePart);

    const staticAsset = ASSETS[url.pathname];
    if (staticAsset && (method === 'GET' || method === 'HEAD')) {
      let body = asset(staticAsset.file);
      if (staticAsset.file === 'index.html') body = Buffer.from(body.toString('utf8').replaceAll('%TOKEN%', token));
      response.writeHead(200, { 'Content-Type': staticAsset.type, 'Cache-Control': 'no-store' });
      return response.end(method === 'HEAD' ? undefined : body);
    }
    if (parts[0] !== 'api') throw new HttpError(404, 'not_found', `no page ${url.pathname}`);

    if (method === 'GET') {
      // /api/sessions, /api/sessions/S, /api/sessions/S/messages, /api/sessions/S/agents/A[/transcript], /api/events
      if (parts[1] === 'events' && parts.length === 2) {
        const since = Number(request.headers['last-event-id'] ?? url.searchParams.get('since') ?? 0);
        if (!Number.isInteger(since) || since < 0)
          throw new HttpError(400, 'invalid_input', `since: expected a feed position (0 or more)`);
        return stream(response, (signal) =>
          streamFeed(deps, response, { sessionId: url.searchParams.get('session') ?? undefined, since, signal }),
        );
      }
      if (parts[1] !== 'sessions') throw new HttpError(404, 'not_found', `no API ${url.pathname}`);
      if (parts.length === 2) {
        const cursor = await deps.store.feed.head(); // first: what changes while reading comes again
        return send(response, 200, { sessions: await sessionRows(deps), cursor });
      }
      const sessionId = parts[2]!;
      if (parts.length === 3) return send(response, 200, await sessionView(deps, sessionId));
      if (parts[3] === 'messages' && parts.length === 4) {
        const query = checkBody(messageQuerySchema, queryObject(url));
        return send(response, 200, await messagePage(deps, sessionId, query));
      }
      if (parts[3] === 'agents' && parts.length === 5)
        return send(response, 200, await agentDetail(deps, sessionId, parts[4]!));
      if (parts[3] === 'agents' && parts[5] === 'transcript' && parts.length === 6) {
        const agent = await agentIn(deps, sessionId, parts[4]!);
        // Written on this machine: followed as it is written. Kept on another: read there.
        const dir = transcriptDirHere(deps, agent);
        if (dir) return stream(response, (signal) => streamTranscript(deps.store, dir, response, signal));
        return stream(response, (signal) => streamRemoteTranscript(deps, caller, agent, response, signal));
      }
      throw new HttpError(404, 'not_found', `no API ${url.pathname}`);
    }

    if (method === 'POST') {
      if (!(request.headers['content-type'] ?? '').startsWith('application/json'))
        throw new HttpError(415, 'invalid_input', 'send the action as JSON (Content-Type: application/json)');
      const body = await readJson(request);
      if (parts[1] === 'sessions' && parts.length === 4) {
        const name = parts[3]!;
        if (!Object.hasOwn(SESSION_ACTIONS, name)) throw unknownAction(name, Object.keys(SESSION_ACTIONS));
        const act = SESSION_ACTIONS[name as keyof typeof SESSION_ACTIONS];
        const result = await act.run(deps, caller, parts[2]!, checkBody(act.body, body) as never, null);
        return send(response, 200, result);
      }
      if (parts[1] === 'sessions' && parts[3] === 'agents' && parts.length === 6) {
        const name = parts[5]!;
        if (!Object.hasOwn(AGENT_ACTIONS, name)) throw unknownAction(name, Object.keys(AGENT_ACTIONS));
        const act = AGENT_ACTIONS[name as keyof typeof AGENT_ACTIONS];
        const result = await act.run(deps, caller, parts[2]!, checkBody(act.body, body) as never, parts[4]!);
        return send(response, 200, result);
      }
      throw new HttpError(404, 'not_found', `no action ${url.pathname}`);
    }
    throw new HttpError(405, 'invalid_input', `${method} is not served here (GET and POST are)`);
  };

  const stream = async (response: ServerResponse, follow: (signal: AbortSignal) => Promise<void>) => {
    const controller = new AbortController();
    streams.add(controller);
    response.on('close', () => controller.abort());
    try {
      await follow(controller.signal);
    } finally {
      streams.delete(controller);
      response.end();
    }
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (response.headersSent) {
        logger.warn({ err: error }, 'dashboard stream failed');
        return response.destroy();
      }
      if (error instanceof HttpError)
        return send(response, error.status, { error: { code: error.code, message: error.message } });
      if (error instanceof MaestroError)
        return send(response, STATUS[error.code], { error: { code: error.code, message: error.message } });
      logger.error({ err: error }, 'dashboard request failed');
      send(response, 500, { error: { code: 'internal', message: `internal error: ${errorMessage(error)}` } });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => (server.off('error', reject), resolve()));
  });
  const port = (server.address() as AddressInfo).port;
  guard = createGuard(token, options.host, port);
  const shownHost = options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : hostForUrl(options.host);
  return {
    url: `http://${shownHost}:${port}/?token=${token}`,
    port,
    token,
    async close() {
      for (const controller of streams) controller.abort();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function decodePart(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new HttpError(400, 'invalid_input', `'${part}' in the address is not valid percent-encoding`);
  }
}

function unknownAction(name: string, known: string[]): HttpError {
  return new HttpError(404, 'not_found', `no action '${name}'; the actions are ${known.join(', ')}`);
}

/** The query string as the schema expects it: `type` may repeat; the token is the guard's. */
function queryObject(url: URL): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of url.searchParams) {
    if (key === 'token') continue;
    if (key === 'type') (out.type as string[] | undefined)?.push(value) ?? (out.type = [value]);
    else out[key] = value;
  }
  return out;
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new HttpError(413, 'too_large', `the body is over ${MAX_BODY} bytes`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text.trim()) return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HttpError(400, 'invalid_input', 'the body is not JSON');
  }
}
