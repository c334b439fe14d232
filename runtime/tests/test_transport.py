"""The runtime's connection to the hub, as the kernel shows it: its end is named, so the server's view
of /proc/net/unix knows it as IPC Scope's own even before the hub has accepted it. And the frames the
sender thread makes of the buffered events."""
import marshal
import os
import signal
import socket
import struct
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from ipcscope import protocol  # noqa: E402
from ipcscope import transport  # noqa: E402
from ipcscope.transport import Transport, _name_runtime_end, _recv_exact  # noqa: E402


def _welcome(c) -> None:
    """The hub's side of a handshake: takes the hello, answers with the welcome."""
    _recv_exact(c, struct.unpack(">I", _recv_exact(c, 4))[0])
    body = b'{"t":"%s","v":%d}' % (protocol.FRAME_WELCOME.encode(), protocol.RUNTIME_PROTOCOL_VERSION)
    c.sendall(struct.pack(">I", len(body)) + body)


class NamedEnd(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="ipc-scope-")
        self.path = os.path.join(self.dir, "hub.sock")
        self.hub = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.hub.bind(self.path)
        self.hub.listen(4)

    def tearDown(self):
        self.hub.close()
        os.unlink(self.path)
        os.rmdir(self.dir)

    def _in_proc_net_unix(self, name: bytes) -> bool:
        with open("/proc/net/unix") as f:
            return any(line.rstrip("\n").endswith(" @" + name[1:].decode()) for line in f)

    def test_named_before_the_hub_accepts_and_after(self):
        seen = {}

        def hub():
            c, _ = self.hub.accept()
            seen["peer"] = c.getpeername()
            _welcome(c)
            seen["conn"] = c

        # Not accepted yet: a connection waiting in the hub's backlog is already named.
        waiting = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        _name_runtime_end(waiting)
        waiting.connect(self.path)
        name = waiting.getsockname()
        prefix = ("\0%s%d-" % (protocol.RUNTIME_SOCKET_PREFIX, os.getpid())).encode()
        self.assertTrue(isinstance(name, bytes) and name.startswith(prefix), name)
        self.assertTrue(self._in_proc_net_unix(name), "listed in /proc/net/unix as @" + name[1:].decode())
        self.hub.accept()[0].close()
        waiting.close()

        # The transport's own connection, through the hello and welcome.
        t = Transport(self.path, "token")
        th = threading.Thread(target=hub)
        th.start()
        try:
            t._connect()
            th.join(10)
            name = t.sock.getsockname()
            self.assertTrue(name.startswith(prefix), name)
            self.assertEqual(seen["peer"], name, "the hub sees the same name")
            again = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            _name_runtime_end(again)
            self.assertNotEqual(again.getsockname(), name, "each connection has a name of its own")
            again.close()
        finally:
            if "conn" in seen:
                seen["conn"].close()
            if t.sock is not None:
                t.sock.close()


class SignalsStayWithTheProgram(unittest.TestCase):
    """The runtime's threads block the signals sent to the process, so that the kernel gives them to the
    program's threads: a signal one of ours took would leave the program's main thread asleep in its
    blocking call, its handler not run."""

    setUp = NamedEnd.setUp  # a hub socket
    tearDown = NamedEnd.tearDown

    def _blocked(self, tid: int) -> int:
        with open("/proc/self/task/%d/status" % tid) as f:
            return int(next(line for line in f if line.startswith("SigBlk:")).split()[1], 16)

    def _threads_named(self, names):
        found = {}
        for tid in os.listdir("/proc/self/task"):
            try:
                with open("/proc/self/task/%s/comm" % tid) as f:
                    comm = f.read().strip()
            except OSError:
                continue
            if comm in names:
                found[comm] = int(tid)
        return found

    def test_the_sender_and_the_command_reader_block_the_programs_signals(self):
        conns = []

        def hub():
            c, _ = self.hub.accept()
            _welcome(c)
            conns.append(c)

        th = threading.Thread(target=hub)
        th.start()
        t = Transport(self.path, "token")
        t._start()
        th.join(10)
        ours = (protocol.SENDER_THREAD_NAME, protocol.READER_THREAD_NAME)
        deadline = time.monotonic() + 10
        while len(self._threads_named(ours)) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        try:
            found = self._threads_named(ours)
            self.assertEqual(sorted(found), sorted(ours))
            bit = lambda sig: 1 << (sig - 1)  # noqa: E731
            for name, tid in found.items():
                mask = self._blocked(tid)
                for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2, signal.SIGCHLD, signal.SIGALRM):
                    self.assertTrue(mask & bit(sig), "%s leaves %s to the program" % (name, signal.Signals(sig).name))
                self.assertFalse(mask & bit(signal.SIGSEGV), "%s still takes its own faults" % name)
            self.assertFalse(self._blocked(threading.main_thread().native_id) & bit(signal.SIGTERM), "the program's mask is its own")
        finally:
            for c in conns:
                c.close()
            if t.sock is not None:
                t.sock.close()


class SendBatch(unittest.TestCase):
    """_send_batch takes events off the front of the buffer, in order, as marshal frames the hub reads."""

    def setUp(self):
        self.t = Transport("/nonexistent", "token")
        self.t.sock, self.hub = socket.socketpair()
        self.hub.settimeout(10)

    def tearDown(self):
        self.t.sock.close()
        self.hub.close()

    def _frames(self, in_a_thread=False):
        """The frames the sender makes of what is buffered. In a thread, for frames that may not fit in
        the socket's buffer: it sends them all, then closes its side, and they are read until then."""
        if not in_a_thread:
            frames = []
            while self.t.buf:
                self.t._send_batch()
                frames.append(self._read_frame())
            return frames

        def send_all():
            while self.t.buf:
                self.t._send_batch()
            self.t.sock.shutdown(socket.SHUT_WR)

        sender = threading.Thread(target=send_all)
        sender.start()
        frames = []
        while self.hub.recv(1, socket.MSG_PEEK):
            frames.append(self._read_frame())
        sender.join()
        return frames

    def _read_frame(self):
        n = struct.unpack(">I", _recv_exact(self.hub, 4))[0]
        self.assertLessEqual(n, protocol.MAX_FRAME_BYTES)
        body = _recv_exact(self.hub, n)
        self.assertEqual(body[0], protocol.EVENTS_TAG)
        return marshal.loads(body[1:])

    def test_events_leave_in_order_in_batches(self):
        n = transport.BATCH * 2 + 7
        self.t.buf.extend(("queue.put", "queue:1", i, ("a.py", 3), 1, b"x", "pickle", {"depth": i}) for i in range(n))
        frames = self._frames()
        self.assertEqual([len(events) for _, events in frames], [transport.BATCH, transport.BATCH, 7])
        self.assertEqual([e[2] for _, events in frames for e in events], list(range(n)))
        self.assertEqual(frames[0][1][5], ("queue.put", "queue:1", 5, ("a.py", 3), 1, b"x", "pickle", {"depth": 5}))

    def test_an_event_is_encoded_without_a_back_reference(self):
        # The batch holds each event once (it left the buffer first), so marshal writes no
        # back-reference for it: a flagged object costs the encoder a hash-table entry and the hub a slot.
        self.t.buf.extend(("queue.put", "queue:1", i, ("a.py", 3), 1, b"x", "pickle", None) for i in range(3))
        self.t._send_batch()
        n = struct.unpack(">I", _recv_exact(self.hub, 4))[0]
        body = _recv_exact(self.hub, n)
        # tag, [2 items, the dropped count (an int), [3 items: then the first event, a small tuple.
        first = body[1 + 5 + 5 + 5]
        self.assertEqual(first & 0x7F, ord(")"), body[:24])
        self.assertEqual(first & 0x80, 0, "the event was flagged as referenced again")

    def test_large_previews_make_smaller_frames(self):
        big = b"\xab" * protocol.IMAGE_BYTES
        self.t.buf.extend(("shared.image", "shm:x", i, None, len(big), big, "bytes", None) for i in range(transport.BATCH))
        frames = self._frames()
        self.assertGreater(len(frames), 1)
        for _, events in frames:
            self.assertTrue(len(events) == 1 or sum(len(e[5]) for e in events) <= transport.BATCH_BYTES)
        self.assertEqual([e[2] for _, events in frames for e in events], list(range(transport.BATCH)))

    def test_frames_stay_under_the_hubs_limit_and_an_event_too_large_for_one_is_counted(self):
        big = "m" * (protocol.MAX_FRAME_BYTES // 3)  # extras (x) are not bounded by BATCH_BYTES
        self.t.buf.extend(("manager.call", "mgr:1", i, None, -1, b"", "", {"state": big}) for i in range(5))
        self.t.buf.append(("manager.call", "mgr:1", 5, None, -1, b"", "", {"state": "m" * protocol.MAX_FRAME_BYTES}))
        self.t.buf.append(("queue.put", "q", 6, None, 1, b"x", "pickle", None))
        frames = self._frames(in_a_thread=True)  # asserts each frame's length
        self.assertGreater(len(frames), 2)
        self.assertEqual([e[2] for _, events in frames for e in events], [0, 1, 2, 3, 4, 6])
        self.assertEqual(frames[-1][0], 1, "the event no frame could carry is counted as dropped")
        self.assertEqual(self.t.dropped, 1)

    def test_a_site_left_unresolved_is_sent_as_its_file_and_line(self):
        f = sys._getframe()
        site, line = (f.f_code, f.f_lasti), f.f_lineno
        self.t.buf.extend([("queue.put", "q", 1, ("a.py", 3), 1, b"", "", None), ("queue.get", "q", 2, site, 1, b"", "", None)])
        (_, events), = self._frames()
        self.assertEqual([e[3] for e in events], [("a.py", 3), (__file__, line)])


if __name__ == "__main__":
    unittest.main()
