/** The panel's side of the go-to links (real out/webview.js in Chromium): a channel's "created at" asks the host to open that line; the host's revealChannel opens and focuses the channel. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChannelModel } from '../../server/src/core/channels';
import { initScript, servePanel, syntheticProcesses } from '../bench/webviewBench';
import { everyKindEvents } from './channelFixtures';
import { PROTOCOL_VERSION } from '../../protocol/protocol';

test('"created at" in the panel posts openLocation; revealChannel opens and focuses the channel', async () => {
  const { chromium } = await import('playwright-core');
  const srv = await servePanel();
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  try {
    const page = await browser.newPage({ viewport: { width: 500, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.addInitScript(initScript(null));
    await page.goto(srv.url);
    await page.waitForFunction(() => typeof (window as unknown as { __ipcScopeApply?: unknown }).__ipcScopeApply === 'function');
    const apply = (m: unknown) => page.evaluate((x) => (window as unknown as { __ipcScopeApply: (m: unknown) => void }).__ipcScopeApply(x), m);
    const posted = () => page.evaluate(() => (window as unknown as { __posted: Array<{ type: string }> }).__posted);
    const processes = syntheticProcesses(4);
    await apply({ type: 'reset', snapshot: { version: PROTOCOL_VERSION, seq: 1, takenAt: Date.now(), scope: 'program', watch: null, processes, ended: [], stats: { processes: 4, zombies: 0, orphans: 0, restricted: 0, scanMs: 1 } } });
    const model = new ChannelModel();
    model.ingest(everyKindEvents());
    await apply({ type: 'channels', update: model.update({ received: 60, dropped: 0, protocolErrors: 0 })! });

    const queue = page.locator('#channels .channel-queue[data-channel="queue:2001"]');
    await queue.waitFor();
    await queue.locator('summary').click(); // opens the block
    const link = queue.locator('.source-link').first();
    assert.equal(await link.textContent(), 'pipeline.py:42');
    assert.equal(await link.getAttribute('role'), 'button');
    await link.click();
    assert.deepEqual((await posted()).at(-1), { type: 'openLocation', loc: '/home/dev/project/pipeline.py:42' });
    await link.focus();
    await page.keyboard.press('Enter');
    assert.deepEqual((await posted()).at(-1), { type: 'openLocation', loc: '/home/dev/project/pipeline.py:42' });

    // From the editor: reveal a closed channel.
    await page.evaluate(() => {
      for (const d of document.querySelectorAll('#channels details')) (d as HTMLDetailsElement).open = false;
    });
    await apply({ type: 'revealChannel', id: 'queue:2001' });
    assert.equal(await queue.evaluate((d) => (d as HTMLDetailsElement).open), true);
    assert.equal(await queue.locator('summary').evaluate((s) => s === document.activeElement), true);
    // An unknown id changes nothing and throws nothing.
    await apply({ type: 'revealChannel', id: 'queue:404' });
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    srv.close();
  }
});
