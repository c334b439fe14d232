/** protocol/runtime.ts and its Python mirror runtime/ipcscope/protocol.py say the same thing. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { EventBatchReader, MarshalValue, readMarshal } from '../../server/src/hub/marshal';
import * as runtime from '../../protocol/runtime';
import { python, runtimeDir } from './helpers';

test('the Python mirror agrees with protocol/runtime.ts', () => {
  const py = JSON.parse(execFileSync(python, ['-m', 'ipcscope.protocol'], { encoding: 'utf8', env: { ...process.env, PYTHONPATH: runtimeDir } }));
  const ts = {
    RUNTIME_PROTOCOL_VERSION: runtime.RUNTIME_PROTOCOL_VERSION,
    EVENTS_TAG: runtime.EVENTS_TAG,
    MARSHAL_VERSION: runtime.MARSHAL_VERSION,
    MAX_FRAME_BYTES: runtime.MAX_FRAME_BYTES,
    PREVIEW_BYTES: runtime.PREVIEW_BYTES,
    IMAGE_BYTES: runtime.IMAGE_BYTES,
    SAMPLE_MS: runtime.SAMPLE_MS,
    BLOCK_REPORT_MS: runtime.BLOCK_REPORT_MS,
    NAME_WAIT_MS: runtime.NAME_WAIT_MS,
    SENDER_THREAD_NAME: runtime.SENDER_THREAD_NAME,
    READER_THREAD_NAME: runtime.READER_THREAD_NAME,
    RUNTIME_SOCKET_PREFIX: runtime.RUNTIME_SOCKET_PREFIX,
    EVENT_FIELDS: runtime.EVENT_FIELDS,
    RuntimeEnv: runtime.RuntimeEnv,
    FrameTypes: runtime.FrameTypes,
    EventKinds: runtime.EventKinds,
    DEBUG_TAG: runtime.DEBUG_TAG,
    RuntimeCommands: runtime.RuntimeCommands,
  };
  assert.deepEqual(py, ts);
});

test('event batches marshalled by every Python here read back exactly (refs, big ints, floats, text, bytes)', () => {
  const code = [
    'import marshal, sys',
    "loc = ('/home/dev/ünïcode app.py', 42)",
    "ev = ('queue.put', 'queue:1', 2**60 + 7, loc, -1, bytes(range(256)), 'pickle', {'depth': 3, 'f': -1.5, 'ok': True, 'none': None, 'neg': -(2**40), 'text': 'a\\u2603\\n<b>'})",
    "again = ('queue.get', 'queue:1', 5, loc, 0, b'', '', None)",
    `sys.stdout.buffer.write(marshal.dumps([7, [ev, again, again]], ${runtime.MARSHAL_VERSION}))`,
  ].join('\n');
  for (const py of pythonsHere()) {
    const bytes = execFileSync(py, ['-c', code]);
    const batch = readMarshal(bytes) as MarshalValue[];
    // The hub's reader, an event at a time, reads the same (its back-references too).
    const reader = new EventBatchReader(bytes);
    assert.deepEqual([reader.dropped, reader.count], [7, 3]);
    const one = [reader.next(), reader.next(), reader.next()];
    assert.deepEqual(one, (readMarshal(bytes, 0, { bytesAsBase64: true }) as MarshalValue[][])[1], py);
    assert.equal(batch[0], 7, py);
    const [ev, again, again2] = batch[1] as MarshalValue[][];
    assert.deepEqual(ev.slice(0, 5), ['queue.put', 'queue:1', 2 ** 60 + 7, ['/home/dev/ünïcode app.py', 42], -1], py);
    assert.deepEqual(ev[5], Buffer.from(Array.from({ length: 256 }, (_, i) => i)));
    assert.deepEqual(ev[7], { depth: 3, f: -1.5, ok: true, none: null, neg: -(2 ** 40), text: 'a\u2603\n<b>' });
    assert.deepEqual(again[3], ['/home/dev/ünïcode app.py', 42], 'a back-reference resolves to the same value');
    assert.deepEqual(again2, again);
    assert.equal(ev.length, runtime.EVENT_FIELDS.length);
  }
});

/** The default interpreter and every pyenv Python ≥ 3.10 on this machine. */
function pythonsHere(): string[] {
  const root = path.join(os.homedir(), '.pyenv', 'versions');
  const found = fs.existsSync(root) ? fs.readdirSync(root).filter((v) => /^3\.(1\d)/.test(v)).map((v) => path.join(root, v, 'bin', 'python3')).filter((p) => fs.existsSync(p)) : [];
  return [python, ...found];
}

test("runtimePythonPath: the hooks' sitecustomize first, then the runtime, then the user's own path; Python finds each", () => {
  const user = fs.mkdtempSync(path.join(os.tmpdir(), 'ipc-user-path-'));
  try {
    fs.writeFileSync(path.join(user, 'usermod.py'), 'X = 1\n');
    assert.equal(runtime.runtimePythonPath('/r', '/u', true), '/r/ipcscope/_inject:/r:/u');
    assert.equal(runtime.runtimePythonPath('/r', undefined, false), '/r');
    const where = (hooks: boolean) =>
      execFileSync(python, ['-c', 'import sys, ipcscope, usermod; print(ipcscope.__file__); print("sitecustomize" in sys.modules and sys.modules["sitecustomize"].__file__ or "")'], {
        encoding: 'utf8',
        env: { ...process.env, PYTHONPATH: runtime.runtimePythonPath(runtimeDir, user, hooks, path.delimiter), [runtime.RuntimeEnv.hub]: '/nonexistent/hub.sock' },
      }).split('\n');
    const [pkg, site] = where(true);
    assert.equal(pkg, path.join(runtimeDir, 'ipcscope', '__init__.py'));
    assert.equal(site, path.join(runtimeDir, 'ipcscope', '_inject', 'sitecustomize.py'));
    assert.equal(where(false)[0], path.join(runtimeDir, 'ipcscope', '__init__.py'), 'the launcher alone: no hooks');
  } finally {
    fs.rmSync(user, { recursive: true, force: true });
  }
});
