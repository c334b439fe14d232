/** protocol/runtime.ts and its Python mirror runtime/ipcscope/protocol.py say the same thing. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import * as runtime from '../../protocol/runtime';
import { python, runtimeDir } from './helpers';

test('the Python mirror agrees with protocol/runtime.ts', () => {
  const py = JSON.parse(execFileSync(python, ['-m', 'ipcscope.protocol'], { encoding: 'utf8', env: { ...process.env, PYTHONPATH: runtimeDir } }));
  const ts = {
    RUNTIME_PROTOCOL_VERSION: runtime.RUNTIME_PROTOCOL_VERSION,
    MAX_FRAME_BYTES: runtime.MAX_FRAME_BYTES,
    PREVIEW_BYTES: runtime.PREVIEW_BYTES,
    IMAGE_BYTES: runtime.IMAGE_BYTES,
    SAMPLE_MS: runtime.SAMPLE_MS,
    EVENT_FIELDS: runtime.EVENT_FIELDS,
    RuntimeEnv: runtime.RuntimeEnv,
    FrameTypes: runtime.FrameTypes,
    EventKinds: runtime.EventKinds,
  };
  assert.deepEqual(py, ts);
});
