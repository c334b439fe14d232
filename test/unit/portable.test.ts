/** The portable path (ps-list + pidtree, for systems without /proc), run here against the real ps. */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { ProcessModel } from '../../server/src/core/model';
import { PortableScanner } from '../../server/src/inspect/portable';
import { killAll, startExample, until } from './helpers';

after(killAll);

test('ps-list lists processes with parent and command line; pidtree finds a program\'s descendants', async () => {
  const ex = startExample('sleeping_parent.py', ['--hold', '10']);
  const child = await until('the child', async () => (await PortableScanner.descendants(ex.pid!)).find((p) => p !== ex.pid));
  const pids = await PortableScanner.descendants(ex.pid!);
  assert.ok(pids.includes(ex.pid!) && pids.includes(child));
  const scanner = new PortableScanner();
  const raws = await scanner.scan();
  const me = raws.find((p) => p.pid === ex.pid)!;
  assert.ok(me, 'the example is listed');
  assert.match(me.argv!.join(' '), /sleeping_parent\.py/);
  assert.equal(me.stat, '?', 'ps-list cannot tell STAT');
  assert.match(me.restrictedReason!, /no \/proc/);
  const model = new ProcessModel({ scanner });
  model.setWatch(ex.pid!);
  await model.refresh();
  const tree = model.snapshot().processes.map((p) => p.pid);
  assert.ok(tree.includes(child), 'the model builds the program tree from ps-list too');
});
