/** STAT strings and /proc parsing, checked against the real `ps` for live processes. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { explainStat } from '../../protocol/stat';
import { ProcFileReader, parseCmdline, parseStat, parseStatBrief } from '../../server/src/inspect/procfs';
import { ProcScanner } from '../../server/src/inspect/scanner';
import { buildStat, describeWaitStatus } from '../../server/src/inspect/stat';
import { ttyName } from '../../server/src/inspect/tty';
import { descendantNamed, killAll, track, procState, psStats, start, startPython, until, waitForOutput } from './helpers';

describe('STAT compared with ps -o stat=', () => {
  const pids: Record<string, number> = {};
  before(async () => {
    // One process for every letter we can produce here.
    pids.sleeping = start('sleep', ['60']).pid!;
    pids.niceLow = start('nice', ['-n', '7', 'sleep', '60']).pid!;
    pids.niceHigh = start('nice', ['-n', '-5', 'sleep', '60']).pid!;
    const threaded = startPython('import threading,time,sys\nthreading.Thread(target=time.sleep,args=(60,)).start()\nprint("ready",flush=True)\ntime.sleep(60)');
    await waitForOutput(threaded, /ready/);
    pids.threaded = threaded.pid!;
    const locked = startPython('import ctypes,time\nctypes.CDLL(None).mlockall(1)\nprint("ready",flush=True)\ntime.sleep(60)');
    await waitForOutput(locked, /ready/);
    pids.locked = locked.pid!;
    const stopped = start('sleep', ['60']);
    process.kill(stopped.pid!, 'SIGSTOP');
    pids.stopped = stopped.pid!;
    const zombieParent = startPython('import os,time\npid=os.fork()\nif pid==0: os._exit(3)\nprint(pid,flush=True)\ntime.sleep(60)');
    pids.zombie = Number((await waitForOutput(zombieParent, /(\d+)\n/))[1]);
    // A terminal's foreground job gets "+": run under script(1), which gives it a pty.
    const fg = start('script', ['-qfc', 'sleep 60', '/dev/null']);
    // script(1) runs the command through a shell, which may or may not exec it: wait for sleep itself.
    pids.foreground = await until('sleep under script(1)', () => descendantNamed(fg.pid!, 'sleep'), 10_000);
    track(pids.foreground);
    await until('stopped and zombie states', () => procState(pids.stopped) === 'T' && procState(pids.zombie) === 'Z');
  });
  after(killAll);

  test('every live process: our STAT equals ps, 0 mismatches', async () => {
    const scanner = new ProcScanner();
    await scanner.scan(); // warm the detail cache, as the server does
    const before = psStats();
    const ours = await scanner.scan();
    const afterPs = psStats();
    let compared = 0;
    const mismatches: string[] = [];
    let differing: { pid: number; name: string }[] = [];
    for (const p of ours) {
      const a = before.get(p.pid);
      const b = afterPs.get(p.pid);
      if (!a || a !== b || p.pid === process.pid) continue; // changed while we looked, or is us (always R)
      compared++;
      if (p.stat !== a) differing.push(p);
    }
    // A process can run for an instant between two stable ps looks (a kernel thread waking): look
    // again; only a difference that stays is a mismatch.
    for (let round = 0; round < 3 && differing.length; round++) {
      const again = new Map((await scanner.scan()).map((p) => [p.pid, p.stat]));
      const psAgain = psStats();
      differing = differing.filter((p) => again.has(p.pid) && psAgain.has(p.pid) && again.get(p.pid) !== psAgain.get(p.pid));
    }
    for (const p of differing) {
      const now = new Map((await scanner.scan()).map((q) => [q.pid, q.stat]));
      mismatches.push(`pid ${p.pid} (${p.name}): ours ${now.get(p.pid)}, ps ${psStats().get(p.pid)}`);
    }
    assert.ok(compared > 20, `compared only ${compared} processes`);
    assert.deepEqual(mismatches, []);
    const byPid = new Map(ours.map((p) => [p.pid, p.stat]));
    // Our test processes are started in their own session (detached), hence the "s".
    assert.equal(byPid.get(pids.sleeping), 'Ss');
    assert.equal(byPid.get(pids.niceLow), 'SNs');
    assert.equal(byPid.get(pids.niceHigh), 'S<s');
    assert.equal(byPid.get(pids.threaded), 'Ssl');
    assert.equal(byPid.get(pids.locked), 'SLs');
    assert.equal(byPid.get(pids.stopped), 'Ts');
    assert.equal(byPid.get(pids.zombie), 'Z');
    // "s" only when the shell exec'd sleep (then sleep leads the session); "+" either way.
    assert.match(byPid.get(pids.foreground) ?? '', /^Ss?\+$/, 'sleep in script(1)\'s terminal is its foreground job');
    console.log(`# STAT compared for ${compared} live processes: ${mismatches.length} mismatches`);
  });
});

describe('/proc parsing', () => {
  test('command names with spaces and parentheses split at the last )', () => {
    // Fields 3..52 after the command name; set the ones we check.
    const fields = Array.from({ length: 50 }, () => '0');
    const set = (n: number, v: string) => (fields[n - 3] = v);
    set(3, 'S'); set(4, '1'); set(5, '4242'); set(6, '4242'); set(7, '0'); set(8, '-1');
    set(19, '5'); set(20, '3'); set(22, '12345'); set(52, '768');
    const line = `4242 (a) b) (c d) ${fields.join(' ')}\n`;
    const st = parseStat(Buffer.from(line));
    assert.ok(st);
    assert.equal(st.comm, 'a) b) (c d');
    assert.equal(st.state, 'S');
    assert.equal(st.ppid, 1);
    assert.equal(st.nice, 5);
    assert.equal(st.threads, 3);
    assert.equal(st.startTicks, 12345);
    assert.equal(st.exitCode, 768);
    assert.equal(describeWaitStatus(768), 'exited with code 3');
    assert.equal(describeWaitStatus(9), 'killed by SIGKILL');
    assert.equal(describeWaitStatus(0x86), 'killed by SIGABRT (core dumped)');
  });

  test('garbage stat content is rejected, not thrown', () => {
    assert.equal(parseStat(Buffer.from('')), null);
    assert.equal(parseStat(Buffer.from('12 (x')), null);
    assert.equal(parseStat(Buffer.from('12 (x) S 1')), null);
  });

  test('argv with spaces, newlines and invalid UTF-8', () => {
    const raw = Buffer.concat([Buffer.from('python3\0my file.py\0line1\nline2\0'), Buffer.from([0xff, 0xfe, 0x41, 0])]);
    assert.deepEqual(parseCmdline(raw), ['python3', 'my file.py', 'line1\nline2', '\ufffd\ufffdA']);
    assert.deepEqual(parseCmdline(Buffer.alloc(0)), []);
  });

  test('tty names as ps prints them', () => {
    assert.equal(ttyName(0), '?');
    assert.equal(ttyName((136 << 8) | 3), 'pts/3');
    assert.equal(ttyName((4 << 8) | 1), 'tty1');
    assert.equal(ttyName((4 << 8) | 65), 'ttyS1');
  });

  test('STAT letters in ps order and each explained', () => {
    assert.equal(buildStat({ pid: 5, state: 'S', nice: -2, vmLckKb: 4, sid: 5, threads: 2, pgid: 5, tpgid: 5 }), 'S<Lsl+');
    assert.equal(buildStat({ pid: 5, state: 'R', nice: 3, vmLckKb: 0, sid: 1, threads: 1, pgid: 2, tpgid: -1 }), 'RN');
    const letters = explainStat('Ssl+').map((l) => l.title);
    assert.deepEqual(letters, ['sleeping', 'session leader', 'multi-threaded', 'foreground']);
    assert.equal(explainStat('Z')[0].title, 'zombie');
    assert.equal(explainStat('I<')[1].title, 'high priority');
    assert.match(explainStat('S?')[1].meaning, /unknown/);
  });
});

describe('ProcFileReader.readTable', () => {
  test('reads /proc/net tables of several pages, an empty one, /proc/self/maps and regular files exactly as readFileSync does', async () => {
    // Enough TCP listeners and Unix sockets that their tables span several of the kernel's 4 KB reads.
    const holder = startPython(`
import socket, time
keep = []
for i in range(100):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(); keep.append(s)
    keep.extend(socket.socketpair())
print("ready", flush=True)
time.sleep(60)
`);
    await waitForOutput(holder, /ready/);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipc-scope-table-'));
    try {
      const files = ['/proc/net/unix', '/proc/net/tcp', '/proc/net/tcp6', '/proc/net/udp', '/proc/self/maps'].filter((f) => fs.existsSync(f));
      for (const [name, bytes] of [['short', 100], ['page', 4096], ['long', 50_000]] as const) {
        fs.writeFileSync(path.join(dir, name), Buffer.alloc(bytes, 'x\n'));
        files.push(path.join(dir, name));
      }
      const reader = new ProcFileReader();
      // A socket's timers, queues and reference count change from one read to the next: its lines compare
      // by address, state and inode (tcp, udp), or by flags, type, state, inode and path (unix).
      const lines = (f: string, b: Buffer) => {
        const text = b.toString('latin1');
        const rows = text.split('\n').map((l) => l.trim().split(/\s+/));
        if (/\/proc\/net\/(tcp|udp)/.test(f)) return rows.map((c) => [c[1], c[2], c[3], c[9]].join(' ')).join('\n');
        if (f === '/proc/net/unix') return rows.map((c) => c.slice(3).join(' ')).join('\n');
        return text;
      };
      for (const f of files) {
        // A live table may gain or lose a line between two reads: the same in one of a few tries.
        let same = false;
        let last = '';
        for (let i = 0; i < 5 && !same; i++) {
          const ours = reader.readTable(f, f.endsWith('maps') ? 8192 : 256);
          assert.ok(typeof ours !== 'string', `${f}: ${ours}`);
          const theirs = fs.readFileSync(f);
          same = lines(f, ours) === lines(f, theirs);
          last = `${ours.length} vs ${theirs.length} bytes`;
        }
        assert.ok(same, `${f}: ${last}`);
      }
      assert.ok(fs.readFileSync('/proc/net/tcp').length > 3 * 4096, 'the TCP table spans pages');
      assert.equal(reader.readTable(path.join(dir, 'missing'), 256), 'ENOENT');
    } finally {
      holder.kill('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('parseStatBrief', () => {
  test('reads what parseStat reads of every live process, and of hostile names; null for a short or broken line', () => {
    const brief = (b: Buffer) => {
      const st = parseStat(b);
      return st && { ppid: st.ppid, comm: st.comm, state: st.state, threads: st.threads, startTicks: st.startTicks };
    };
    let seen = 0;
    for (const name of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      let b: Buffer;
      try {
        b = fs.readFileSync(`/proc/${name}/stat`);
      } catch {
        continue; // gone
      }
      assert.deepEqual(parseStatBrief(b), brief(b), b.toString());
      seen++;
    }
    assert.ok(seen > 5);
    const line = (comm: string, rest = '4 5 6 0 -1 4194560 100 0 0 0 3 1 0 0 20 0 3 0 123456 1000 200 18446744073709551615') => Buffer.from(`42 (${comm}) S ${rest}\n`);
    for (const comm of ['a) (b', ') S 1 2 3', 'x y', 'ünï', '']) {
      assert.deepEqual(parseStatBrief(line(comm)), { ppid: 4, comm, state: 'S', threads: 3, startTicks: 123456 }, comm);
      assert.deepEqual(parseStatBrief(line(comm)), brief(line(comm)));
    }
    assert.equal(parseStatBrief(Buffer.from('42 (x) S 4 5 6')), null);
    assert.equal(parseStatBrief(Buffer.from('42 (x) S 4  5 6 0 -1 4194560 100 0 0 0 3 1 0 0 20 0 3 0 123456')), null);
    assert.equal(parseStatBrief(Buffer.from('42 x S')), null);
    assert.equal(parseStatBrief(Buffer.from('')), null);
  });
});
