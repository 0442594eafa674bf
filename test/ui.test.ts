/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * `maestro ui` end to end: a real `maestro ui` process, a real headless Chromium, and a
 * coordinator running `command` workers through the real MCP server. What the person sees
 * changes live without a reload; what they do from the page reaches the workers as `user`; every
 * request the page made, replayed without the token, with a wrong one, from another Origin or
 * under another Host name, is refused with no data; hostile strings are shown as text.
 */
import { existsSync, readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page, Request } from 'playwright-core';
import { PACKAGE_ROOT } from '../src/package-root.js';
import { browserMissing, launchBrowser, startUi, type RunningUi } from './helpers/browser.js';
import { maestro } from './helpers/cli.js';
import { PATIENCE } from './helpers/patience.js';
import { agentRows, alive, gitProject, startProject, until, worker } from './helpers/project.js';
import { tempDir } from './helpers/temp.js';

const SCREENSHOT = path.join(PACKAGE_ROOT, 'docs', 'maestro-ui.png');
const HOSTILE = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">';
const WAIT = { timeout: 60_000 * PATIENCE };

interface Reply {
  status: number;
  body: string;
}

/** One HTTP request with exactly these headers (fetch would not let a test set Host). */
function raw(
  ui: RunningUi,
  method: string,
  pathAndQuery: string,
  headers: Record<string, string>,
  body?: string,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port: ui.port, method, path: pathAndQuery, headers, setHost: !('Host' in headers) },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => {
          text += String(chunk);
          // A stream that was let in would never end: what it began with is enough to judge.
          if (res.headers['content-type']?.startsWith('text/event-stream')) res.destroy();
        });
        res.on('close', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const withoutToken = (url: string) => {
  const u = new URL(url);
  u.searchParams.delete('token');
  return `${u.pathname}${u.search}`;
};

/** Every control on the page has a name a screen reader says, and every status a word. */
async function expectLabelled(page: Page): Promise<void> {
  const unnamed = await page.evaluate(() =>
    [...document.querySelectorAll('input, select, textarea, button, progress, a')].flatMap((el) => {
      const named =
        ((el as HTMLInputElement).labels?.length ?? 0) > 0 ||
        el.getAttribute('aria-label') ||
        el.getAttribute('aria-labelledby') ||
        (el.textContent ?? '').trim();
      return named ? [] : [el.outerHTML.slice(0, 80)];
    }),
  );
  expect(unnamed).toEqual([]);
  const statuses = await page.locator('[data-status].status').allTextContents();
  for (const text of statuses) expect(text).toMatch(/[a-z]{4,}/);
}

const skip = browserMissing();

describe.skipIf(skip !== null)('maestro ui in a real browser', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });

  const openPage = async (ui: RunningUi, hash = '#/') => {
    const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${ui.url}${hash}`);
    return { page, errors };
  };
  const statusOf = (page: Page, task: string) => page.locator(`tr[data-agent="${task}"]`).getAttribute('data-status');

  it('shows a coordinator’s workers live — progress, completion, results as text — and the person messages, steers, follows up, interrupts and closes them as user', async () => {
    const session = 'UI-live';
    const p = await startProject({ config: { limits: { budget: { usd: 5 } } } });
    const acks = path.join(tempDir(), 'acks.jsonl');
    const spawn = (task: string, plan: object) => p.ok('spawn_agent', worker(task, plan, { session_id: session }));
    await spawn('W1', {
      progress: [{ summary: 'parsed the spec', data: { progress_pct: 40 } }],
      wait_mail_ms: 600_000,
      report: { summary: HOSTILE },
      ack_file: acks,
    });
    const ui = await startUi(p.dir);
    const requests: Request[] = [];
    try {
      const { page, errors } = await openPage(ui);
      page.on('request', (r) => requests.push(r));
      await page.locator(`tr[data-session="${session}"] a`).click();
      await page.waitForSelector('body[data-ready]', WAIT);
      await page.evaluate(() => ((window as unknown as { __sameLoad: boolean }).__sameLoad = true));

      // Progress from the worker's own process: the bar and its number.
      await page.waitForSelector('tr[data-agent="W1"] progress[value="40"]', WAIT);
      expect(await page.locator('tr[data-agent="W1"] .progress-text').textContent()).toBe('parsed the spec');

      // A worker spawned now appears without a reload.
      await spawn('W2', { sleep_ms: 600_000 });
      await until(async () => (await statusOf(page, 'W2')) === 'running', 60_000);

      // A message from the page goes on the bus from user and reaches the worker.
      await page.locator('#send-to').selectOption({ label: 'W1' });
      await page.locator('#send-text').fill('please use the v2 schema');
      await page.getByRole('button', { name: 'Send' }).click();
      await page.waitForSelector('#status:has-text("to W1")', WAIT);
      await until(() => existsSync(acks) && readFileSync(acks, 'utf8').includes('please use the v2 schema'), 60_000);
      const sent = await p.ok('team_msg', { operation: 'list', session_id: session, from: 'user', to: 'W1' });
      expect(sent.messages).toEqual([
        expect.objectContaining({ from: 'user', to: 'W1', summary: 'please use the v2 schema' }),
      ]);

      // The worker reports and ends its turn: the page shows it, and its result as text.
      await until(async () => (await statusOf(page, 'W1')) === 'completed', 60_000);
      await page.locator('tr[data-agent="W1"] a').click();
      await page.waitForSelector('#agent-result:has-text("__pwned")', WAIT);
      expect(JSON.parse((await page.locator('#agent-result').textContent())!)).toEqual({ summary: HOSTILE });
      expect(await page.locator('#agent-result script, #agent-result img, #main script').count()).toBe(0);
      expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
      await page.waitForSelector('#transcript li', WAIT);

      // Steering from the page: in force, on the bus from user, then withdrawn.
      await page.goBack();
      await page.waitForSelector('body[data-ready]', WAIT);
      await page.locator('#steer-text').fill('Keep the public API stable');
      await page.getByRole('button', { name: 'Steer' }).click();
      await page.waitForSelector('#steering-list li:has-text("Keep the public API stable")', WAIT);
      const steering = await p.ok('team_msg', { operation: 'list', session_id: session, type: 'steering' });
      expect(steering.messages).toEqual([
        expect.objectContaining({
          from: 'user',
          to: 'all',
          summary: expect.stringContaining('Keep the public API stable'),
        }),
      ]);

      // The README's picture: the team as the page shows it, a worker with a child of its own.
      await spawn('W3', {
        progress: [{ summary: 'halfway through the tests', data: { progress_pct: 55 } }],
        spawn: worker('W3-fixtures', {
          progress: [{ summary: 'writing fixtures', data: { progress_pct: 20 } }],
          sleep_ms: 600_000,
        }),
        sleep_ms: 600_000,
      });
      await p.ok('team_msg', {
        operation: 'log',
        session_id: session,
        from: 'W2',
        type: 'blocker',
        summary: 'the staging database refuses connections',
      });
      await page.waitForSelector('tr[data-agent="W3-fixtures"] progress[value="20"]', WAIT);
      await page.waitForSelector('#timeline .row.blocker', WAIT);
      expect(
        await page.locator('tr[data-agent]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-agent'))),
      ).toEqual(['W1', 'W2', 'W3', 'W3-fixtures']);
      await expectLabelled(page);
      await page.screenshot({ path: SCREENSHOT });

      // A summary holding markup is shown as the text it is, in the timeline as in the tree.
      await p.ok('team_msg', { operation: 'log', session_id: session, from: 'W3', type: 'progress', summary: HOSTILE });
      await page.waitForSelector('#timeline .row .summary:has-text("__pwned")', WAIT);
      expect(await page.locator('#timeline .row .summary', { hasText: '__pwned' }).textContent()).toBe(HOSTILE);
      await page.waitForSelector('tr[data-agent="W3"] .progress-text:has-text("__pwned")', WAIT);
      expect(await page.locator('tr[data-agent="W3"] .progress-text').textContent()).toBe(HOSTILE);
      expect(await page.locator('#main script, #main img').count()).toBe(0);
      expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();

      await page.getByRole('button', { name: 'Clear directive #1' }).click();
      await page.waitForSelector('#steering-list li.empty', WAIT);

      // Interrupt W2 from its page; then follow it up: a new turn, which ends.
      await page.locator('tr[data-agent="W2"] a').click();
      await page.waitForSelector('#agent-h [data-status="running"]', WAIT);
      await page.getByRole('button', { name: 'Interrupt' }).click();
      await page.waitForSelector('#agent-h [data-status="interrupted"]', WAIT);
      await page.locator('#followup-text').fill('carry on, briefly');
      await page.getByRole('button', { name: 'Follow up' }).click();
      await page.waitForSelector('#turn-rows tr:has-text("carry on, briefly")', WAIT);
      // Its transcript follows as it is written: the new turn's line arrives on the open page.
      await page.waitForSelector('#transcript li:has-text("turn 2 carry on, briefly")', WAIT);
      await page.waitForSelector('#agent-h [data-status="completed"]', WAIT);

      // Close asks first: cancelled, nothing happens; confirmed, W3 and its process are gone.
      await page.goBack();
      await page.waitForSelector('body[data-ready]', WAIT);
      await page.locator('tr[data-agent="W3"] a').click();
      await page.waitForSelector('#agent-h [data-status="running"]', WAIT);
      const w3 = (await agentRows(p, session)).find((a) => a.task_name === 'W3')!;
      await page.getByRole('button', { name: 'Close…' }).click();
      await expect.poll(() => page.locator('#close-dialog').isVisible()).toBe(true);
      expect(await page.locator('#close-what').textContent()).toContain('W3 stops now');
      await page.getByRole('button', { name: 'Cancel' }).click();
      expect(await page.locator('#close-dialog').isVisible()).toBe(false);
      expect((await agentRows(p, session)).find((a) => a.task_name === 'W3')!.status).toBe('running');
      await page.getByRole('button', { name: 'Close…' }).click();
      await page.locator('#close-confirm').click();
      await page.waitForSelector('#agent-h [data-status="shutdown"]', WAIT);
      await expectLabelled(page);
      await until(() => !alive(w3.pid!), 30_000);

      expect(await page.evaluate(() => (window as unknown as { __sameLoad?: boolean }).__sameLoad)).toBe(true);
      expect(errors).toEqual([]);
      const closed = await p.ok('list_agents', { session_id: session });
      expect(
        Object.fromEntries(
          (closed.agents as { task_name: string; status: string }[]).map((a) => [a.task_name, a.status]),
        ),
      ).toEqual({ W1: 'completed', W2: 'completed', W3: 'shutdown', 'W3-fixtures': 'shutdown' });
      await page.close();

      // Every request the page made, replayed by someone without the token, or from elsewhere.
      const seen = new Set<string>();
      const replays = requests.filter((r) => {
        const key = `${r.method()} ${withoutToken(r.url())}`;
        return r.url().startsWith(ui.origin) && !seen.has(key) && seen.add(key);
      });
      expect(replays.map((r) => r.method())).toEqual(expect.arrayContaining(['GET', 'POST']));
      expect(replays.some((r) => r.url().includes('/api/events'))).toBe(true);
      const before = (await p.ok('team_msg', { operation: 'list', session_id: session, last: 100 })).total;
      for (const r of replays) {
        const target = withoutToken(r.url());
        const body = r.postData() ?? undefined;
        const json: Record<string, string> = body === undefined ? {} : { 'Content-Type': 'application/json' };
        const host = `127.0.0.1:${ui.port}`;
        const attempts: [string, Record<string, string>, number][] = [
          ['no token', { ...json }, 401],
          [
            'a wrong token',
            { ...json, Authorization: `Bearer ${ui.token.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'))}` },
            401,
          ],
          ['another origin', { ...json, Authorization: `Bearer ${ui.token}`, Origin: 'http://evil.example' }, 403],
          [
            'a rebinding host name',
            { ...json, Authorization: `Bearer ${ui.token}`, Host: `evil.example:${ui.port}` },
            403,
          ],
          [
            'a cross-site fetch',
            { ...json, Authorization: `Bearer ${ui.token}`, 'Sec-Fetch-Site': 'cross-site', Host: host },
            403,
          ],
        ];
        for (const [what, headers, status] of attempts) {
          const reply = await raw(ui, r.method(), target, headers, body);
          expect(reply.status, `${r.method()} ${target} with ${what}`).toBe(status);
          expect(JSON.parse(reply.body), `${r.method()} ${target} with ${what}`).toEqual({
            error: { code: status === 401 ? 'unauthorized' : 'forbidden', message: expect.any(String) },
          });
          expect(reply.body).not.toContain('W1');
        }
      }
      expect((await p.ok('team_msg', { operation: 'list', session_id: session, last: 100 })).total).toBe(before);
    } finally {
      await ui.stop();
      await p.client.close();
    }
  }, 300_000);

  it('the bus timeline filters by type, sender and recipient, finds words, pages back through a long session, and marks blockers in words', async () => {
    const dir = gitProject();
    const session = 'UI-bus';
    const log = async (args: string[]) => {
      const r = await maestro(['msg', 'log', '-s', session, ...args], { cwd: dir });
      expect(r.code, r.stderr).toBe(0);
    };
    // 450 messages in one go through the CLI's own store, then a few the test looks for.
    const { openSqliteStore } = await import('../src/bus/sqlite-store.js');
    await log(['--from', 'IMPL-001', '--type', 'progress', 'first']);
    const store = openSqliteStore(path.join(dir, '.maestro', 'maestro.db'));
    for (let i = 2; i <= 450; i++)
      await store.messages.log({
        session_id: session,
        from: i % 2 ? 'IMPL-001' : 'IMPL-002',
        to: 'coordinator',
        type: 'progress',
        summary: `step ${i}`,
        data: {},
        sender_agent_id: null,
      });
    await store.close();
    await log(['--from', 'IMPL-002', '--type', 'blocker', 'the staging database refuses connections']);
    await log(['--from', 'IMPL-001', '--to', 'REVIEW-1', 'schema ready for review']);

    const ui = await startUi(dir);
    try {
      const { page, errors } = await openPage(ui, '#/');
      await page.waitForSelector('body[data-ready]', WAIT);
      expect(await page.locator(`tr[data-session="${session}"] td`).allTextContents()).toEqual(
        expect.arrayContaining(['452']),
      );
      // A session that starts while the list is open joins it.
      expect((await maestro(['msg', 'log', '-s', 'UI-later', 'a new team'], { cwd: dir })).code).toBe(0);
      await page.waitForSelector('tr[data-session="UI-later"]', WAIT);

      await page.locator(`tr[data-session="${session}"] a`).click();
      await page.waitForSelector('#timeline-count:has-text("452 messages")', WAIT);
      expect(await page.locator('#timeline-count').textContent()).toMatch(/^452 messages · 200 loaded/);
      // A virtual list: only the rows in view exist.
      expect(await page.locator('#timeline .row').count()).toBeLessThan(60);
      const blocker = page.locator('#timeline .row.blocker');
      expect(await blocker.locator('.type').textContent()).toBe('⚠ blocker');

      // Scrolled to the end it pages back, to the very first message. Each scroll asks for at most
      // one more page, and one made while a page is loading asks for nothing: it scrolls again
      // until the first message is there, however slowly the pages come.
      await until(async () => {
        await page.locator('#timeline').evaluate((el) => (el.scrollTop = el.scrollHeight));
        return (await page.locator('#timeline [data-id="MSG-001"]').count()) > 0;
      }, 60_000);

      await page.locator('#filter-type').selectOption('blocker');
      await page.waitForSelector('#timeline-count:has-text("1 matching message")', WAIT);
      expect(await page.locator('#timeline .row .summary').allTextContents()).toEqual([
        'the staging database refuses connections',
      ]);

      await page.locator('#filter-type').selectOption('');
      await page.locator('#filter-to').fill('REVIEW-1');
      await page.locator('#filter-to').press('Enter');
      await page.waitForSelector('#timeline-count:has-text("1 matching message")', WAIT);
      expect(await page.locator('#timeline .row .who').allTextContents()).toEqual(['IMPL-001 → REVIEW-1']);

      await page.locator('#filter-to').fill('');
      await page.locator('#filter-from').fill('IMPL-002');
      await page.locator('#filter-q').fill('staging');
      await page.locator('#filter-q').press('Enter');
      await page.waitForSelector('#timeline-count:has-text("1 matching message")', WAIT);

      // Keyboard: a row is reached with Tab and opened with Enter.
      await page.locator('#timeline .row').first().focus();
      await page.keyboard.press('Enter');
      await page.waitForSelector('#message-detail:has-text("the staging database refuses connections")', WAIT);

      // A bad query is refused with what is allowed, and shown to the person.
      await page.locator('#filter-from').fill('no spaces allowed');
      await page.locator('#filter-from').press('Enter');
      await page.waitForSelector('#alert:has-text("from:")', WAIT);
      expect(errors).toEqual([]);
      await page.close();
    } finally {
      await ui.stop();
    }
  }, 180_000);

  it('a page on another origin can neither read the dashboard nor act through it', async () => {
    const dir = gitProject();
    expect((await maestro(['msg', 'log', '-s', 'UI-x', 'hello'], { cwd: dir })).code).toBe(0);
    const ui = await startUi(dir);
    // The attacker knows the port (and even the token: the Origin check alone must hold).
    const { createServer } = await import('node:http');
    const evil = createServer((_req, res) => res.end('<!doctype html><title>evil</title>'));
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
    const evilPort = (evil.address() as { port: number }).port;
    try {
      const page = await browser.newPage();
      await page.goto(`http://localhost:${evilPort}/`);
      const outcome = await page.evaluate(
        async ({ origin, token }) => {
          const read = await fetch(`${origin}/api/sessions?token=${token}`).then(
            (r) => `read ${r.status}`,
            (e: Error) => `read blocked: ${e.name}`,
          );
          // A "simple" request the browser sends without asking: the server must still refuse it.
          await fetch(`${origin}/api/sessions/UI-x/send?token=${token}`, {
            method: 'POST',
            mode: 'no-cors',
            headers: { 'Content-Type': 'text/plain' },
            body: JSON.stringify({ to: 'coordinator', message: 'forged' }),
          }).catch(() => undefined);
          return read;
        },
        { origin: ui.origin, token: ui.token },
      );
      expect(outcome).toBe('read blocked: TypeError');
      const listed = await maestro(['msg', 'list', '-s', 'UI-x', '--json'], { cwd: dir });
      expect(listed.stdout).not.toContain('forged');
      await page.close();
    } finally {
      evil.close();
      await ui.stop();
    }
  }, 120_000);
});

describe('maestro ui from the shell', () => {
  it('prints the address with its token first, refuses what is not allowed with a clear error, and ships a page with no HTML injection', async () => {
    const empty = gitProject();
    const none = await maestro(['ui', '--no-open'], { cwd: empty });
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/maestro: no maestro database at .*maestro\.db/);
    const badPort = await maestro(['ui', '--port', '70000'], { cwd: empty });
    expect(badPort).toMatchObject({ code: 2, stderr: 'maestro ui: --port expects 0 to 65535, got 70000' });
    const help = await maestro(['ui', '--help']);
    expect(help.stdout).toMatch(/^Usage: maestro ui \[--port N\] \[--host 127\.0\.0\.1\] \[--no-open\]/);

    expect((await maestro(['msg', 'log', '-s', 'UI-cli', 'hello'], { cwd: empty })).code).toBe(0);
    const ui = await startUi(empty);
    try {
      expect(ui.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{32}$/);
      const auth = { Authorization: `Bearer ${ui.token}`, 'Content-Type': 'application/json' };
      const post = (what: string, body: unknown) =>
        raw(ui, 'POST', `/api/sessions/UI-cli/${what}`, auth, JSON.stringify(body));
      expect(await post('send', { to: 'coordinator' })).toEqual({
        status: 400,
        body: JSON.stringify({ error: { code: 'invalid_input', message: 'message: expected a string' } }),
      });
      expect(JSON.parse((await post('send', { to: 'NOBODY', message: 'hi' })).body).error.message).toBe(
        "no agent 'NOBODY' in session UI-cli; it has no open agents",
      );
      expect(
        JSON.parse((await post('send', { to: 'coordinator', message: 'hi', extra: 1 })).body).error.message,
      ).toMatch(/extra/);
      expect(JSON.parse((await post('launch', {})).body).error.message).toBe(
        "no action 'launch'; the actions are send, steer, clear_steering",
      );
      expect((await post('steer', { text: '   ' })).body).toContain('a steering directive needs some text');
      expect(await raw(ui, 'GET', '/api/sessions/%E0%A4%A', { Authorization: `Bearer ${ui.token}` })).toEqual({
        status: 400,
        body: JSON.stringify({
          error: { code: 'invalid_input', message: "'%E0%A4%A' in the address is not valid percent-encoding" },
        }),
      });
      expect(
        (
          await raw(
            ui,
            'POST',
            `/api/sessions/UI-cli/send?token=${ui.token}`,
            { 'Content-Type': 'application/json' },
            '{}',
          )
        ).status,
      ).toBe(401);
      const sent = await post('send', { to: 'coordinator', message: 'from the page' });
      expect(sent.status).toBe(200);
      const listed = await maestro(['msg', 'list', '-s', 'UI-cli', '--from', 'user', '--to', 'coordinator', '--json'], {
        cwd: empty,
      });
      expect(JSON.parse(listed.stdout).messages.map((m: { summary: string }) => m.summary)).toEqual([
        'hello',
        'from the page',
      ]);
    } finally {
      await ui.stop();
    }

    // The page is built from text nodes only.
    const bundle = readFileSync(path.join(PACKAGE_ROOT, 'dist', 'ui', 'app.js'), 'utf8');
    for (const sink of ['innerHTML', 'outerHTML', 'insertAdjacentHTML', 'document.write', 'eval('])
      expect(bundle, sink).not.toContain(sink);
  }, 120_000);
});
