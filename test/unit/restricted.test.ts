/**
 * /proc entries we may not read, and processes that vanish mid-read: reproduced for real with a
 * prepared /proc-shaped tree read by an unprivileged user (nobody), since root may read anything.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Snapshot } from '../../protocol/protocol';
import { repoRoot } from './helpers';

const isRoot = process.getuid?.() === 0;
const hasSetpriv = spawnSync('setpriv', ['--version']).status === 0;

describe('unreadable and vanishing /proc entries', { skip: !isRoot || !hasSetpriv ? 'needs root and setpriv to act as another user' : false }, () => {
  let fake: string;
  before(() => {
    fake = fs.mkdtempSync(path.join(os.tmpdir(), 'ipc-scope-proc-'));
    fs.chmodSync(fake, 0o755);
    const copy = (pid: number, as: number, files: string[]) => {
      fs.mkdirSync(path.join(fake, String(as)));
      for (const f of files) fs.writeFileSync(path.join(fake, String(as), f), fs.readFileSync(`/proc/${pid}/${f}`));
    };
    // 1: a readable process; 2: status and cmdline unreadable (another user's); 3: status gone (vanished mid-read);
    // 4: stat unreadable (nothing known: left out); 5: garbage stat.
    copy(process.pid, 1, ['stat', 'status', 'cmdline', 'wchan']);
    const fix = (n: number) => {
      const s = fs.readFileSync(path.join(fake, '1', 'stat'), 'latin1');
      return `${n}${s.slice(s.indexOf(' '))}`;
    };
    for (const n of [2, 3, 4]) {
      fs.mkdirSync(path.join(fake, String(n)));
      fs.writeFileSync(path.join(fake, String(n), 'stat'), fix(n));
    }
    fs.writeFileSync(path.join(fake, '2', 'status'), fs.readFileSync(path.join(fake, '1', 'status')));
    fs.writeFileSync(path.join(fake, '2', 'cmdline'), 'secret\0');
    fs.chmodSync(path.join(fake, '2', 'status'), 0o000);
    fs.chmodSync(path.join(fake, '2', 'cmdline'), 0o000);
    fs.writeFileSync(path.join(fake, '3', 'cmdline'), 'python3\0gone.py\0');
    fs.chmodSync(path.join(fake, '4', 'stat'), 0o000);
    fs.mkdirSync(path.join(fake, '5'));
    fs.writeFileSync(path.join(fake, '5', 'stat'), '5 (broken');
    execFileSync('chmod', ['-R', 'a+rX', path.join(fake, '1'), path.join(fake, '3')]);
  });
  after(() => fs.rmSync(fake, { recursive: true, force: true }));

  test('the CLI as user nobody marks them restricted and never crashes', () => {
    const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, path.join(repoRoot, 'out', 'cli.js'), 'snapshot', '--json', '--system'], {
      encoding: 'utf8',
      env: { ...process.env, IPC_SCOPE_PROC_ROOT: fake },
    });
    assert.equal(r.status, 0, r.stderr);
    const snap = JSON.parse(r.stdout) as Snapshot;
    const byPid = new Map(snap.processes.map((p) => [p.pid, p]));
    assert.deepEqual([...byPid.keys()].sort(), [1, 2, 3], 'unreadable or broken stat: left out, not an error');
    assert.equal(byPid.get(1)!.restricted, false);
    const other = byPid.get(2)!;
    assert.equal(other.restricted, true);
    assert.match(other.restrictedReason!, /permission denied/);
    assert.equal(other.argv, null, 'an unreadable command line is unknown, not empty');
    const vanished = byPid.get(3)!;
    assert.equal(vanished.restricted, true);
    assert.match(vanished.restrictedReason!, /ended while being read/);
    assert.deepEqual(vanished.argv, ['python3', 'gone.py']);
    assert.equal(snap.stats.restricted, 2);
  });
});
