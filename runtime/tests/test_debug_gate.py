"""The breakpoint gate's shortcut: a place where nothing can stop or log is remembered as quiet, and
forgotten when the breakpoints change, so a breakpoint set later still stops there. And a function
breakpoint by a channel's variable name: the gate asks the debugger for a name it lacks."""
import os
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from ipcscope import debug, protocol  # noqa: E402


class _Transport:
    dead = False

    def __init__(self, names=None):
        self.sent = []
        self.names = names  # answers debug.name as the adapter does, with these names

    def emit_now(self, kind, ch="", loc=None, x=None):
        self.sent.append((kind, ch, loc, x))
        if kind == protocol.EV_DEBUG_NAME and self.names is not None:
            config = dict(debug._config, names={**debug._names, ch: self.names.get(ch, "")})
            threading.Timer(0.05, debug._configure, (config,)).start()

    def start_now(self):
        pass


class QuietGate(unittest.TestCase):
    def setUp(self):
        self.t = _Transport()
        self.saved = debug._transport
        debug._transport = self.t

    def tearDown(self):
        debug._configure({})
        debug._transport = self.saved

    def logs(self):
        return [x["logs"] for kind, _, _, x in self.t.sent if kind == protocol.EV_DEBUG_LOG]

    def test_quiet_place_is_remembered_then_forgotten_on_new_breakpoints(self):
        debug._configure({"debugger": True, "channels": [{"id": 9, "pattern": "pipe:*"}]})
        debug.gate("send", "queue:1", 5, ("a.py", 3))
        self.assertIn(("send", "queue:1", "a.py"), debug._quiet)
        self.assertEqual(self.logs(), [])

        debug._configure({"debugger": True, "send": [{"id": 1, "log": "sent {msg}"}]})
        self.assertEqual(debug._quiet, set())
        debug.gate("send", "queue:1", 5, ("a.py", 3))
        self.assertEqual(self.logs(), [[[1, "sent 5", 0]]])

    def test_a_file_with_line_breakpoints_is_never_quiet(self):
        debug._configure({"debugger": True, "lines": [{"id": 2, "file": os.path.abspath("a.py"), "line": 4, "log": "line 4"}]})
        debug.gate("send", "queue:1", 5, (os.path.abspath("a.py"), 3))
        self.assertEqual(debug._quiet, set())
        debug.gate("send", "queue:1", 5, (os.path.abspath("a.py"), 4))
        self.assertEqual(self.logs(), [[[2, "line 4", 0]]])

    def test_a_channel_breakpoint_matches_only_its_channel(self):
        debug._configure({"debugger": True, "channels": [{"id": 3, "pattern": "queue:*", "log": "on {channel}"}]})
        debug.gate("send", "pipe:7", b"x", ("a.py", 3))
        self.assertIn(("send", "pipe:7", "a.py"), debug._quiet)
        debug.gate("send", "queue:8", 1, ("a.py", 3))
        self.assertEqual(self.logs(), [[[3, "on queue:8", 0]]])


    def test_a_name_the_gate_lacks_is_asked_for_once(self):
        debug._asked.clear()
        self.t.names = {"queue:5": "results"}
        debug._configure({"debugger": True, "channels": [{"id": 4, "pattern": "queue:results", "log": "got {msg}"}]})
        t0 = time.monotonic()
        debug.gate("recv", "queue:5", 7, ("a.py", 3))
        self.assertLess(time.monotonic() - t0, 0.9, "answered well before NAME_WAIT_MS")
        self.assertEqual(self.logs(), [[[4, "got 7", 0]]], "stopped on the first message, named in time")
        debug.gate("recv", "queue:6", 8, ("a.py", 3))  # the debugger has no name for it: ""
        debug.gate("recv", "queue:6", 9, ("a.py", 3))
        debug.gate("recv", "queue:5", 10, ("a.py", 3))
        asked = [ch for kind, ch, _, _ in self.t.sent if kind == protocol.EV_DEBUG_NAME]
        self.assertEqual(asked, ["queue:5", "queue:6"])
        self.assertEqual(len(self.logs()), 2)

    def test_a_connection_is_never_asked_for(self):
        debug._asked.clear()
        debug._configure({"debugger": True, "channels": [{"id": 6, "pattern": "queue:results", "log": "x"}]})
        t0 = time.monotonic()
        debug.gate("send", "conn:77", 1, ("a.py", 3))
        self.assertLess(time.monotonic() - t0, 0.5)
        self.assertEqual([k for k, _, _, _ in self.t.sent if k == protocol.EV_DEBUG_NAME], [])

    def test_no_answer_waits_at_most_name_wait_ms(self):
        debug._asked.clear()
        debug._configure({"debugger": True, "channels": [{"id": 5, "pattern": "queue:results", "log": "x"}]})
        t0 = time.monotonic()
        debug.gate("send", "queue:7", 1, ("a.py", 3))
        waited = time.monotonic() - t0
        self.assertGreaterEqual(waited, protocol.NAME_WAIT_MS / 1000 * 0.9)
        self.assertLess(waited, protocol.NAME_WAIT_MS / 1000 + 2)
        self.assertEqual(self.logs(), [])


if __name__ == "__main__":
    unittest.main()
