/**
 * A line-delimited JSON-RPC peer, the wire `codex app-server` speaks on stdio: one JSON object
 * per line, requests `{id, method, params}`, responses `{id, result}` or `{id, error}`,
 * notifications `{method, params}` (no `"jsonrpc"` field either way). Either side may send
 * requests; the other side's requests are answered through `onRequest`. What the other side
 * prints is not trusted: a line that is not a message of one of these shapes goes to
 * `onMalformed`, and nothing here throws from `receive`.
 */
import { asObject, asText, jsonObject } from './process.js';

export type RpcId = number | string;

/** The other side answered a request with an error (or is gone: code `GONE`). */
export class RpcError extends Error {
  constructor(
    readonly method: string,
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** Code of the error a request fails with when the peer is closed before it answered. */
export const GONE = -32000;
const METHOD_NOT_FOUND = -32601;

export type RequestAnswer = { result: unknown } | { error: { code: number; message: string } };

export interface RpcHandlers {
  /** Sends one line; false when it could not be written (the other side is gone). */
  send(line: string): boolean;
  onNotification(method: string, params: Record<string, unknown>): void;
  /** Answers a request of the other side; without a handler, every request is "method not found". */
  onRequest?(method: string, params: Record<string, unknown>): RequestAnswer;
  onMalformed?(line: string): void;
}

export interface RpcPeer {
  /** Resolves with the result, or rejects with an RpcError. */
  request(method: string, params: unknown): Promise<unknown>;
  notify(method: string, params?: unknown): void;
  /** One line the other side printed. */
  receive(line: string): void;
  /** Fails every request still waiting (and every later one) with `reason`. */
  close(reason: string): void;
}

export function createRpcPeer(handlers: RpcHandlers): RpcPeer {
  const pending = new Map<RpcId, { method: string; resolve: (value: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let closed: string | null = null;

  const answer = (id: RpcId, body: RequestAnswer) => handlers.send(JSON.stringify({ id, ...body }));

  return {
    request(method, params) {
      if (closed !== null) return Promise.reject(new RpcError(method, GONE, closed));
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { method, resolve, reject });
        if (!handlers.send(JSON.stringify({ id, method, params }))) {
          pending.delete(id);
          reject(new RpcError(method, GONE, `could not send ${method}: the process is gone`));
        }
      });
    },

    notify(method, params) {
      if (closed === null) handlers.send(JSON.stringify(params === undefined ? { method } : { method, params }));
    },

    receive(line) {
      if (!line.trim()) return;
      const message = jsonObject(line);
      const id = message && (typeof message.id === 'number' || typeof message.id === 'string') ? message.id : null;
      const method = message ? asText(message.method) : undefined;
      if (message && method !== undefined) {
        const params = asObject(message.params) ?? {};
        if (id === null) {
          handlers.onNotification(method, params);
          return;
        }
        let reply: RequestAnswer;
        try {
          reply = handlers.onRequest
            ? handlers.onRequest(method, params)
            : { error: { code: METHOD_NOT_FOUND, message: `${method} is not supported` } };
        } catch (error) {
          reply = { error: { code: METHOD_NOT_FOUND, message: (error as Error).message } };
        }
        answer(id, reply);
        return;
      }
      const waiting = id === null ? undefined : pending.get(id);
      if (message && waiting && ('result' in message || 'error' in message)) {
        pending.delete(id!);
        const error = asObject(message.error);
        if (error) {
          const code = typeof error.code === 'number' ? error.code : 0;
          waiting.reject(new RpcError(waiting.method, code, asText(error.message) ?? `${waiting.method} failed`));
        } else waiting.resolve(message.result);
        return;
      }
      handlers.onMalformed?.(line);
    },

    close(reason) {
      if (closed !== null) return;
      closed = reason;
      for (const [id, waiting] of pending) {
        pending.delete(id);
        waiting.reject(new RpcError(waiting.method, GONE, reason));
      }
    },
  };
}
