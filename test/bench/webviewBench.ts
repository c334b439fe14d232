/**
 * Times the panel applying updates in Chromium: the real out/webview.js under the real HTML and CSP,
 * fed a reset of N processes and then deltas that change all N. Timing is taken inside the page
 * around the synchronous apply plus a forced layout.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { chromium } from 'playwright-core';
import { makeNonce, renderWebviewHtml } from '../../extension/src/webviewHtml';
import { PROTOCOL_VERSION, ProcessDelta, ProcessInfo, Snapshot } from '../../protocol/protocol';

// Bundled into out/bench.js and out/test/*.test.js: the panel's files sit in out/.
const outDir = fs.existsSync(path.join(__dirname, 'webview.js')) ? __dirname : path.resolve(__dirname, '..');

export function syntheticProcesses(n: number): ProcessInfo[] {
  const list: ProcessInfo[] = [];
  for (let i = 0; i < n; i++) {
    const pid = 1000 + i;
    // A bushy tree: each process's parent is an earlier one, a few levels deep.
    const ppid = i === 0 ? 1 : 1000 + Math.floor((i - 1) / 6);
    const zombie = i % 97 === 5;
    list.push({
      key: `${pid}@${5000 + i}`,
      pid,
      ppid,
      pgid: 1000,
      sid: 1000,
      tty: 'pts/0',
      tpgid: 1000,
      state: zombie ? 'Z' : 'S',
      stat: zombie ? 'Z' : i % 5 === 0 ? 'Sl' : 'S',
      nice: 0,
      threads: i % 5 === 0 ? 3 : 1,
      rssKb: 10_000 + i,
      vszKb: 30_000 + i,
      cpuPercent: (i % 13) / 2,
      cpuTimeMs: i * 10,
      startTicks: 5000 + i,
      startedAt: Date.now() - 60_000,
      uid: 1000,
      user: 'dev',
      name: zombie ? 'python3' : i % 3 ? 'python3' : 'worker (pool)',
      argv: zombie ? [] : ['python3', '-u', `/home/dev/project/jobs/worker_${i}.py`, '--queue', 'results', '--verbose'],
      command: zombie ? '[python3]' : `python3 -u /home/dev/project/jobs/worker_${i}.py --queue results --verbose`,
      wchan: zombie ? '' : 'do_wait',
      blockedOn: zombie ? '' : 'waiting for a child to exit (wait/waitpid/join)',
      restricted: false,
      restrictedReason: null,
      inProgram: true,
      zombie: zombie
        ? { parentPid: ppid, parentName: 'python3', explanation: `pid ${pid} exited with code 7, but its parent pid ${ppid} (python3) has not called wait() to collect its exit status.`, fix: 'Call os.waitpid().' }
        : null,
      orphan: null,
      ended: null,
    });
  }
  return list;
}

/** Serves the real panel (out/webview.js, out/webview.css) under the real HTML and CSP on 127.0.0.1. */
export async function servePanel(): Promise<{ url: string; close: () => void }> {
  const holder = { html: '' };
  const server = http.createServer((req, res) => {
    if (req.url === '/') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(holder.html);
      return;
    }
    const file = req.url === '/webview.js' ? 'webview.js' : req.url === '/webview.css' ? 'webview.css' : null;
    if (!file) {
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': file.endsWith('.js') ? 'text/javascript' : 'text/css' });
    res.end(fs.readFileSync(path.join(outDir, file)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // The CSP names the server's own origin, known only once it listens.
  holder.html = renderWebviewHtml({ scriptUri: `${url}/webview.js`, styleUri: `${url}/webview.css`, cspSource: url, nonce: makeNonce() });
  return { url, close: () => server.close() };
}

export async function benchWebviewApply(opts: { processes: number; repeats: number; screenshot?: string }): Promise<{ medianMs: number; maxMs: number; resetMs: number; cspViolations: string[] }> {
  const started = await servePanel();
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 520, height: 900 } });
    const cspViolations: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
    });
    await page.addInitScript(() => {
      (window as unknown as { acquireVsCodeApi: () => unknown }).acquireVsCodeApi = () => ({ postMessage() {}, getState() {}, setState() {} });
    });
    await page.goto(started.url);
    await page.waitForFunction(() => typeof (window as unknown as { __ipcScopeApply?: unknown }).__ipcScopeApply === 'function');
    const processes = syntheticProcesses(opts.processes);
    const snapshot: Snapshot = {
      version: PROTOCOL_VERSION,
      seq: 1,
      takenAt: Date.now(),
      scope: 'program',
      watch: { pid: 1000, key: processes[0].key, label: 'jobs.py', launched: true },
      processes,
      ended: [],
      stats: { processes: processes.length, zombies: processes.filter((p) => p.zombie).length, orphans: 0, restricted: 0, scanMs: 0 },
    };
    const timeApply = (msg: unknown) =>
      page.evaluate((m) => {
        const t = performance.now();
        (window as unknown as { __ipcScopeApply: (x: unknown) => void }).__ipcScopeApply(m);
        void document.body.offsetHeight; // force style and layout
        return performance.now() - t;
      }, msg);
    const resetMs = await timeApply({ type: 'reset', snapshot });
    const times: number[] = [];
    let seq = 1;
    for (let r = 0; r < opts.repeats; r++) {
      const changed = processes.map((p, i) => ({ ...p, cpuPercent: ((i + r) % 17) / 3, rssKb: p.rssKb + r, stat: p.state === 'Z' ? 'Z' : r % 2 ? 'R' : p.stat }));
      const delta: ProcessDelta = { version: PROTOCOL_VERSION, baseSeq: seq, seq: seq + 1, takenAt: Date.now(), added: [], changed, removed: [], ended: [], stats: snapshot.stats };
      seq++;
      times.push(await timeApply({ type: 'delta', delta }));
    }
    if (opts.screenshot) {
      const zombieRow = page.locator('[role="treeitem"]', { has: page.locator('.badge-zombie') }).first();
      // Rows are virtualized: a zombie may be out of view with few processes; then show the first row.
      await zombieRow.click({ timeout: 2000 }).catch(() => page.locator('[role="treeitem"]').first().click());
      await page.screenshot({ path: opts.screenshot });
    }
    const sorted = [...times].sort((a, b) => a - b);
    return { medianMs: sorted[Math.floor(sorted.length / 2)], maxMs: sorted[sorted.length - 1], resetMs, cspViolations };
  } finally {
    await browser.close();
    started.close();
  }
}
