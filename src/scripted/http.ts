/**
 * The HTTP side shared by the scripted model servers: listen on 127.0.0.1 on a free port, parse
 * JSON bodies, record every request, let tests wait for one, write SSE, and close cleanly.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Plan, RequestView, Script } from './script.js';

export interface RecordedRequest {
  /** Index in `requests`. */
  index: number;
  /** Date.now() when it arrived. */
  at: number;
  method: string;
  /** Path without the query string. */
  path: string;
  query: string;
  headers: Record<string, string | string[] | undefined>;
  body: any;
  /** The client went away before the reply was complete (e.g. an interrupt). */
  aborted?: boolean;
  /** Set for model requests: what the script saw and what it answered. */
  view?: RequestView;
  plan?: Plan;
}

export interface ScriptedServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  readonly requests: RecordedRequest[];
  /** Replace the script (takes effect for the next request). */
  setScript(script: Script): void;
  /** Model requests a conversation claimed (`name` given: that conversation's only). */
  modelRequests(name?: string): RecordedRequest[];
  /** Resolves with the first recorded request (past or future) that satisfies `test`. */
  waitForRequest(test: (r: RecordedRequest) => boolean, timeoutMs?: number): Promise<RecordedRequest>;
  close(): Promise<void>;
}

/** What a concrete API contributes, for one request whose body is parsed. */
export interface Api {
  /** Decide what to answer and note it on `request` (`view`, `plan`); runs before any delay. */
  prepare(request: RecordedRequest, script: Script): void;
  /** Answer; `signal` aborts when the client goes away. */
  respond(request: RecordedRequest, res: ServerResponse, signal: AbortSignal): Promise<void>;
}

export function sse(res: ServerResponse, event: string, data: unknown): void {
  if (!res.writableEnded && !res.destroyed) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

export function startSse(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
}

/** Waits `ms`, or less if the client went away. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });
}

/** Rough token count for usage figures: a token per 4 characters. */
export function tokens(value: unknown): number {
  const text = typeof value === 'string' ? value : JSON.stringify(value ?? '');
  return Math.max(1, Math.ceil(text.length / 4));
}

async function readBody(req: IncomingMessage): Promise<any> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export async function startScriptedServer(script: Script, api: Api): Promise<ScriptedServer> {
  const requests: RecordedRequest[] = [];
  const waiters = new Set<(r: RecordedRequest) => void>();
  let current = script;

  const server = createServer((req, res) => {
    const [path = '/', query = ''] = (req.url ?? '/').split('?', 2);
    const recorded: RecordedRequest = {
      index: -1,
      at: Date.now(),
      method: req.method ?? 'GET',
      path,
      query,
      headers: req.headers,
      body: undefined,
    };
    const abort = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) recorded.aborted = true;
      abort.abort();
    });
    void (async () => {
      try {
        recorded.body = await readBody(req);
        api.prepare(recorded, current);
        recorded.index = requests.push(recorded) - 1;
        for (const waiter of [...waiters]) waiter(recorded);
        await api.respond(recorded, res, abort.signal);
      } catch (error) {
        if (recorded.index < 0) recorded.index = requests.push(recorded) - 1;
        sendJson(res, 500, { type: 'error', error: { type: 'api_error', message: String(error) } });
        if (!res.writableEnded) res.end();
      }
    })();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    setScript: (next) => void (current = next),
    modelRequests: (name) => requests.filter((r) => r.plan && (name === undefined || r.plan.conversation === name)),
    // A guard against a request that never comes, not a speed check: a CLI starting on a loaded
    // machine can take many seconds before its first request.
    waitForRequest(test, timeoutMs = 120_000) {
      const done = requests.find(test);
      if (done) return Promise.resolve(done);
      return new Promise((resolve, reject) => {
        const waiter = (r: RecordedRequest) => {
          if (!test(r)) return;
          clearTimeout(timer);
          waiters.delete(waiter);
          resolve(r);
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`no matching request within ${timeoutMs} ms (${requests.length} received)`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
