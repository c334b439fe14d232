/** The restricted preview decoder on real pickles made by Python: values, opaque objects, truncation. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { decodePreview } from '../../server/src/core/preview';
import { python } from './helpers';

function pickles(): Record<string, string> {
  const code = `
import base64, json, pickle, os
class Point:
    def __init__(self, x, y): self.x, self.y = x, y
class Evil:
    def __reduce__(self): return (os.system, ("touch " + os.environ["MARKER"],))
values = {
  "none": None, "bools": [True, False], "ints": [0, 1, -1, 255, 65535, -2**31, 2**40, -2**70],
  "floats": [1.0, 2.5, -0.125], "text": "héllo 'q' \\n", "bytes": b"ab\\x00\\xff", "tuple": (1, "a"), "single": (7,),
  "dict": {"seq": 3, "text": "item 3"}, "set": {1}, "nested": [[1, [2, [3]]], {"k": (None,)}],
  "object": [Point(1, 2), 5], "evil": Evil(), "big": list(range(1000)),
  "long_bytes": b"x" * 100000, "long_text": "y" * 99 + "\u00e9" * 500, "list_of_long": [b"a" * 1000, 1],
}
out = {k: base64.b64encode(pickle.dumps(v, protocol=p)).decode() for k, v in values.items() for p in [5] if k != "evil"}
out["evil"] = base64.b64encode(pickle.dumps(values["evil"])).decode()
out["proto2"] = base64.b64encode(pickle.dumps({"a": [1, 2.0]}, protocol=2)).decode()
print(json.dumps(out))`;
  return JSON.parse(execFileSync(python, ['-c', code], { encoding: 'utf8', env: { ...process.env, MARKER: '/nonexistent' } }));
}

test('a str or bytes longer than the preview shows its beginning, not a hex dump of the pickle', () => {
  const p = pickles();
  const d = (k: string) => {
    const b = Buffer.from(p[k], 'base64');
    return decodePreview(b.subarray(0, 256), 'pickle', b.length);
  };
  const bytes = d('long_bytes');
  assert.match(bytes.text, /^b'x{200,}' …$/);
  assert.equal(bytes.truncated, true);
  assert.equal(bytes.via, 'pickle');
  assert.match(d('long_text').text, /^'y{99}é+' …$/, 'a character cut in two is dropped, not shown as U+FFFD');
  assert.match(d('list_of_long').text, /^\[b'a{200,}'\] …$/, 'the list shows the start of its first item');
});

test('plain values decode to Python-like text; objects stay opaque', () => {
  const p = pickles();
  const d = (k: string, limit = 256) => {
    const b = Buffer.from(p[k], 'base64');
    return decodePreview(b.subarray(0, limit), 'pickle', b.length);
  };
  assert.equal(d('none').text, 'None');
  assert.equal(d('bools').text, '[True, False]');
  assert.equal(d('ints').text, '[0, 1, -1, 255, 65535, -2147483648, 1099511627776, -1180591620717411303424]');
  assert.equal(d('floats').text, '[1.0, 2.5, -0.125]');
  assert.equal(d('text').text, "'héllo \\'q\\' \\n'");
  assert.equal(d('bytes').text, "b'ab\\x00\\xff'");
  assert.equal(d('tuple').text, "(1, 'a')");
  assert.equal(d('single').text, '(7,)');
  assert.equal(d('dict').text, "{'seq': 3, 'text': 'item 3'}");
  assert.equal(d('set').text, '{1}');
  assert.equal(d('nested').text, "[[1, [2, [3]]], {'k': (None,)}]");
  assert.equal(d('object').text, '[<Point object>, 5]');
  assert.equal(d('proto2').text, "{'a': [1, 2.0]}");
  const big = d('big');
  assert.equal(big.truncated, true, 'a 256-byte preview of a long list');
  assert.match(big.text, /^\[0, 1, 2, .* …$/);
});

test('a malicious pickle is never executed: the callable is only named', () => {
  const marker = path.join(os.tmpdir(), `ipc-scope-evil-${process.pid}`);
  const b = Buffer.from(pickles().evil.replace(/./g, (c) => c), 'base64');
  const r = decodePreview(b, 'pickle', b.length);
  assert.equal(r.text, '<system object>');
  assert.equal(fs.existsSync(marker), false);
});

test('non-pickle bytes: text when printable, hex otherwise; garbage never throws', () => {
  assert.deepEqual(decodePreview(Buffer.from('hello\n'), 'bytes', 6), { text: 'hello\n', truncated: false, via: 'text' });
  assert.equal(decodePreview(Buffer.from([0, 1, 2, 0xff]), 'bytes', 10).text, '00 01 02 ff');
  assert.equal(decodePreview(Buffer.from([0, 1, 2, 0xff]), 'bytes', 10).truncated, true);
  for (const junk of [[0x80], [0x80, 5, 0xff, 0xff], [0x80, 4, 0x95, 1], [0x80, 4, 0x52], [0x80, 4, 0x75, 0x2e]]) {
    assert.doesNotThrow(() => decodePreview(Buffer.from(junk), 'pickle', junk.length));
  }
});
