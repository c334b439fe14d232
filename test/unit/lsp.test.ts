/** The language server over a real LSP connection: out/server.js started with --stdio, as any editor would. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ProtocolConnection } from 'vscode-languageserver-protocol/node';
import { ChannelsUpdate, LspMethods, MessageChannelInfo, PROTOCOL_VERSION, ProcessChoice, ProcessDelta, RuntimeEnvResult, Snapshot, StatusInfo, WatchResult } from '../../protocol/protocol';
import { examplesDir, killAll, python, sleep, startExample, until } from './helpers';
import { LspServer, startLspServer } from './lspClient';

describe('language server over LSP (stdio)', () => {
  let server: LspServer;
  let conn: ProtocolConnection;
  const resets: Snapshot[] = [];
  const deltas: ProcessDelta[] = [];
  const statuses: StatusInfo[] = [];
  const channelUpdates: ChannelsUpdate[] = [];

  before(async () => {
    server = startLspServer();
    conn = server.conn;
    conn.onNotification(LspMethods.reset, (s: Snapshot) => void resets.push(s));
    conn.onNotification(LspMethods.delta, (d: ProcessDelta) => void deltas.push(d));
    conn.onNotification(LspMethods.status, (s: StatusInfo) => void statuses.push(s));
    conn.onNotification(LspMethods.channels, (u: ChannelsUpdate) => void channelUpdates.push(u));
    conn.listen();
    const init = await conn.sendRequest('initialize', { processId: process.pid, rootUri: null, capabilities: {} });
    assert.equal((init as { capabilities: { experimental?: { ipcScopeProtocol?: number } } }).capabilities.experimental?.ipcScopeProtocol, PROTOCOL_VERSION);
    await conn.sendNotification('initialized', {});
    await conn.sendNotification(LspMethods.configure, { refreshIntervalMs: 250, scope: 'program' });
  });

  after(async () => {
    killAll();
    await server.stop();
  });

  test('watching the zombie example streams a reset, deltas and a status with the zombie', async () => {
    const ex = startExample('zombie.py', ['--hold', '20']);
    const r = await conn.sendRequest<WatchResult>(LspMethods.watch, { pid: ex.pid, label: 'zombie.py', launched: false });
    assert.equal(r.ok, true, r.message);
    assert.equal(r.watch?.pid, ex.pid);
    await until('a reset with the program root', () => resets.some((s) => s.watch?.pid === ex.pid && s.processes.some((p) => p.pid === ex.pid)));
    await until('a status with one zombie', () => statuses.some((s) => s.watch?.pid === ex.pid && s.zombies === 1), 10_000);
    // Model state on the client side: the reset plus every delta since.
    const last = resets[resets.length - 1];
    const state = new Map(last.processes.map((p) => [p.key, p]));
    let seq = last.seq;
    for (const d of deltas.filter((d) => d.baseSeq >= last.seq)) {
      assert.equal(d.baseSeq, seq, 'deltas arrive in order, without gaps');
      seq = d.seq;
      for (const p of [...d.added, ...d.changed]) state.set(p.key, p);
      for (const k of d.removed) state.delete(k);
    }
    const zombie = [...state.values()].find((p) => p.zombie);
    assert.ok(zombie, 'the client-side state has the zombie');
    assert.equal(zombie.zombie!.parentPid, ex.pid);
    const snap = await conn.sendRequest<Snapshot>(LspMethods.snapshot, {});
    assert.equal(snap.version, PROTOCOL_VERSION);
    assert.ok(snap.processes.some((p) => p.zombie && p.ppid === ex.pid));
  });

  test('a program run with the server\'s runtime environment streams its queues and items', async () => {
    const r = await conn.sendRequest<RuntimeEnvResult>(LspMethods.runtimeEnv, {});
    assert.match(r.env.IPCSCOPE_HUB, /hub\.sock$/);
    assert.match(r.env.IPCSCOPE_TOKEN, /^[0-9a-f]{48}$/);
    assert.ok(r.env.PYTHONPATH.split(':').includes(r.runtimeDir));
    const ex = spawn(python, ['-m', 'ipcscope', path.join(examplesDir, 'queue_producer_consumer.py'), '--items', '6', '--consumer-pause', '0.3'], {
      env: { ...process.env, ...r.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise((res) => ex.once('exit', res));
    // The editor learns the pid only after the program has started talking: what it reported
    // before the watch must not be lost (the queue's creation carries its maxsize).
    await sleep(500);
    await conn.sendRequest<WatchResult>(LspMethods.watch, { pid: ex.pid, label: 'queue', launched: true });
    const update = await until('the bounded queue with its 6 items and the sentinel', () =>
      channelUpdates.find((u) => u.channels.some((c) => c.kind === 'queue' && c.maxsize === 3 && c.written === 7 && c.read === 7)),
    20_000);
    const q = update.channels.find((c): c is MessageChannelInfo => c.kind === 'queue' && c.maxsize === 3)!;
    assert.equal(q.kind, 'queue');
    assert.equal(q.type, 'Queue');
    assert.match(q.createdAt, /queue_producer_consumer\.py:\d+$/);
    assert.ok(q.holders.length >= 2, `holders ${q.holders}`);
    const gets = q.recent.filter((m) => m.op === 'get').map((m) => m.preview);
    assert.deepEqual(gets, [...Array.from({ length: 6 }, (_, i) => `{'seq': ${i}, 'text': 'item ${i}'}`), 'None']);
    // A panel that loads again asks for every channel at once.
    const all = await until('the shared Value counting what was consumed', async () => {
      const u = await conn.sendRequest<ChannelsUpdate>(LspMethods.channelsSnapshot, {});
      return u.channels.some((c) => c.kind === 'shared' && c.values?.[0] === '6') ? u : null;
    }, 10_000);
    assert.equal(all.full, true);
    assert.ok(all.channels.some((c) => c.id === q.id));
    assert.ok(all.timeline && all.timeline.messages.some((m) => m.ch === q.id && m.link !== null), 'puts linked to their gets');
    await exited;
    // The runtime reported how each child was reaped (os.waitpid in join()): ends are exact.
    const ended = await until('the children\'s exit codes', () => {
      const all = deltas.flatMap((d) => d.ended).filter((p) => p.ended?.exitCode === 0);
      return all.length >= 2 ? all : null;
    }, 10_000);
    assert.ok(ended.every((p) => p.ended!.description === 'exited with code 0'));
  });

  test('a one-off snapshot of another pid does not change what is watched', async () => {
    const snap = await conn.sendRequest<Snapshot>(LspMethods.snapshot, { pid: process.pid });
    assert.ok(snap.processes.some((p) => p.pid === process.pid));
    const status = statuses[statuses.length - 1];
    assert.notEqual(status.watch?.pid, process.pid);
  });

  test('listProcesses offers running processes, searchable by pid, name and command line', async () => {
    const list = await conn.sendRequest<ProcessChoice[]>(LspMethods.listProcesses, {});
    const me = list.find((p) => p.pid === process.pid);
    assert.ok(me);
    assert.match(me.command, /node/);
    assert.ok(me.stat.length >= 1);
  });

  test('watching a pid that does not exist answers with a clear message, and the server lives on', async () => {
    const r = await conn.sendRequest<WatchResult>(LspMethods.watch, { pid: 4_000_000 });
    assert.equal(r.ok, false);
    assert.match(r.message, /No process with pid 4000000/);
    const bad = await conn.sendRequest<WatchResult>(LspMethods.watch, { pid: 'x' });
    assert.equal(bad.ok, false);
    assert.match(bad.message, /not a process id/);
    const snap = await conn.sendRequest<Snapshot>(LspMethods.snapshot, {});
    assert.equal(snap.version, PROTOCOL_VERSION);
  });

  test('stopWatching clears the program and the status', async () => {
    const r = await conn.sendRequest<WatchResult>(LspMethods.stopWatching, {});
    assert.equal(r.ok, true);
    await until('a status without a watch', () => statuses.length > 0 && statuses[statuses.length - 1].watch === null);
    assert.equal(server.stderr().includes('Error'), false, server.stderr());
  });

  test('nothing watched and no view visible: the server stops polling; a visible view resumes it', async () => {
    await conn.sendNotification(LspMethods.setVisible, { visible: false });
    await new Promise((r) => setTimeout(r, 400));
    const before = resets.length + deltas.length;
    await new Promise((r) => setTimeout(r, 1200));
    assert.equal(resets.length + deltas.length, before, 'no refresh while nobody looks');
    await conn.sendNotification(LspMethods.configure, { refreshIntervalMs: 250, scope: 'system' });
    await conn.sendNotification(LspMethods.setVisible, { visible: true });
    await until('a reset of the whole system', () => resets.some((s) => s.scope === 'system' && s.processes.length > 10));
  });
});
