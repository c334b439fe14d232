"""The runtime's connection to the hub, as the kernel shows it: its end is named, so the server's view
of /proc/net/unix knows it as IPC Scope's own even before the hub has accepted it."""
import os
import socket
import struct
import sys
import tempfile
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from ipcscope import protocol  # noqa: E402
from ipcscope.transport import Transport, _name_runtime_end, _recv_exact  # noqa: E402


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
            _recv_exact(c, struct.unpack(">I", _recv_exact(c, 4))[0])  # the hello
            body = b'{"t":"%s","v":%d}' % (protocol.FRAME_WELCOME.encode(), protocol.RUNTIME_PROTOCOL_VERSION)
            c.sendall(struct.pack(">I", len(body)) + body)
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


if __name__ == "__main__":
    unittest.main()
