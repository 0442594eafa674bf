/**
 * The coordinator's side of the soak: a real `maestro mcp` over stdio, which the run can SIGKILL
 * and start again (the new server reconciles what the dead one left). Every call has a deadline,
 * so a hung server is reported as a violation instead of hanging the run.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

export interface CallOutcome {
  ok: boolean;
  structured: Record<string, unknown>;
  text: string;
  elapsedMs: number;
}

export class Coordinator {
  private client: Client | null = null;
  private transport: StdioClientTransport | null = null;
  starts = 0;
  /** The end of what the current server wrote to stderr: why it died, when it does. */
  stderrTail = '';

  constructor(
    private readonly options: { cli: string; cwd: string; env: Record<string, string>; callTimeoutMs: number },
  ) {}

  get pid(): number | null {
    return this.transport?.pid ?? null;
  }

  async start(): Promise<void> {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [this.options.cli, 'mcp'],
      env: this.options.env,
      cwd: this.options.cwd,
      stderr: 'pipe',
    });
    const client = new Client({ name: 'maestro-soak', version: '0' });
    this.stderrTail = '';
    transport.stderr?.on(
      'data',
      (chunk: Buffer) => (this.stderrTail = (this.stderrTail + chunk.toString()).slice(-2000)),
    );
    await client.connect(transport);
    this.client = client;
    this.transport = transport;
    this.starts++;
  }

  async call(name: string, args: Record<string, unknown>, extraMs = 0): Promise<CallOutcome> {
    if (!this.client) throw new Error('the coordinator server is not running');
    const started = performance.now();
    const result = await this.client.callTool({ name, arguments: args }, undefined, {
      timeout: this.options.callTimeoutMs + extraMs,
    });
    const first = (result.content as { type: string; text?: string }[])[0];
    return {
      ok: !result.isError,
      structured: (result.structuredContent ?? {}) as Record<string, unknown>,
      text: first?.type === 'text' ? (first.text ?? '') : '',
      elapsedMs: performance.now() - started,
    };
  }

  /** SIGKILL, as a crash or an OOM kill would: the server gets no chance to stop its workers. */
  async kill(): Promise<void> {
    const pid = this.pid;
    if (pid !== null) process.kill(pid, 'SIGKILL');
    await this.client?.close().catch(() => undefined);
    this.client = null;
    this.transport = null;
  }

  /** The polite end: the client closes stdin and the server stops its workers before it exits. */
  async close(): Promise<void> {
    await this.client?.close();
    this.client = null;
    this.transport = null;
  }
}
