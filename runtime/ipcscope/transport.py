"""Sends events to the hub without ever blocking or breaking the user's program.

Producers append to a bounded deque (a full buffer counts a drop instead of waiting); a sender
thread started with _thread (invisible to threading.enumerate()) connects lazily, batches and
writes frames. Any error makes the transport go quiet for good (fail-open). After fork the child
starts afresh with its own connection.
"""
from __future__ import annotations

import _thread
from base64 import b64encode
import collections
import json
import os
import socket
import struct
import sys
import time
from time import monotonic_ns

from . import protocol

MAX_BUFFERED = 50_000
BATCH = 512


def _start_ticks() -> int:
    try:
        with open("/proc/self/stat", "rb") as f:
            return int(f.read().rsplit(b")", 1)[1].split()[19])
    except (OSError, ValueError, IndexError):
        return 0


class Transport:
    def __init__(self, path: str, token: str) -> None:
        self.path = path
        self.token = token
        self._reset()

    def _reset(self) -> None:
        self.pid = os.getpid()
        self.buf: collections.deque = collections.deque()
        self.dropped = 0
        self.n = 0
        self.dead = False
        self.sock = None
        self.started = False
        self.idle = True
        self.wake = _thread.allocate_lock()
        self.wake.acquire()
        # Shared objects a forked child inherits are still worth sampling: samplers survive fork.
        self.samplers: list = getattr(self, "samplers", [])
        self.sampled_at = 0.0

    def after_fork_in_child(self) -> None:
        # The parent's sender thread and socket are not ours: begin again, empty.
        sock = self.sock
        self._reset()
        if sock is not None:
            try:
                sock.close()
            except OSError:
                pass

    def emit(self, kind: str, ch: str = "", loc=None, size: int = -1, pv=b"", pf: str = "", x=None, ts=None) -> None:
        # Hot path: a tuple into the deque. Encoding happens in the sender thread.
        if self.dead:
            return
        if len(self.buf) >= MAX_BUFFERED:
            self.dropped += 1
            return
        self.buf.append((kind, ch, ts or monotonic_ns(), loc, size, pv, pf, x))
        if not self.started:
            self.started = True
            _thread.start_new_thread(self._run, ())
        elif self.idle and len(self.buf) >= BATCH and self.wake.locked():
            try:
                self.wake.release()
            except RuntimeError:
                pass

    def add_sampler(self, fn) -> None:
        """fn() runs in the sender thread every SAMPLE_MS and at flush (it may emit); errors drop it."""
        self.samplers.append(fn)
        if not self.started and not self.dead:
            self.started = True
            _thread.start_new_thread(self._run, ())

    def _sample(self) -> None:
        for fn in list(self.samplers):
            try:
                fn()
            except Exception:
                try:
                    self.samplers.remove(fn)
                except ValueError:
                    pass

    def flush(self, timeout: float = 0.5) -> None:
        """Waits (briefly) until what was emitted is sent; used at exit."""
        if self.dead or not self.started:
            return
        self._sample()  # final contents of shared objects, from this thread
        end = time.monotonic() + timeout
        while (self.buf or not self.idle) and not self.dead and time.monotonic() < end:
            if self.wake.locked():
                try:
                    self.wake.release()
                except RuntimeError:
                    pass
            time.sleep(0.002)

    # -- sender thread -------------------------------------------------------------------
    def _connect(self) -> None:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
        s.settimeout(2.0)
        s.connect(self.path)
        hello = {"t": protocol.FRAME_HELLO, "v": protocol.RUNTIME_PROTOCOL_VERSION, "token": self.token, "pid": os.getpid(),
                 "ppid": os.getppid(), "start": _start_ticks(), "argv": list(sys.argv), "python": sys.version.split()[0]}
        s.sendall(_frame(hello))
        head = _recv_exact(s, 4)
        reply = json.loads(_recv_exact(s, struct.unpack(">I", head)[0]))
        if reply.get("t") != protocol.FRAME_WELCOME:
            raise ConnectionError(reply.get("message", "refused"))
        s.settimeout(None)
        self.sock = s

    def _run(self) -> None:
        try:
            self._connect()
            while True:
                self.idle = True
                self.wake.acquire(timeout=0.02)
                self.idle = False
                if self.samplers:
                    now = time.monotonic()
                    if now - self.sampled_at >= protocol.SAMPLE_MS / 1000:
                        self.sampled_at = now
                        self._sample()
                while self.buf:
                    batch = []
                    pop = self.buf.popleft
                    while self.buf and len(batch) < BATCH:
                        batch.append(self._encode(pop()))
                    self.sock.sendall(_frame({"t": protocol.FRAME_EVENTS, "dropped": self.dropped, "events": batch}))
        except Exception:
            # Hub missing, refused us or went away: stay quiet from now on.
            self.dead = True
            self.idle = True
            self.buf.clear()


    def _encode(self, ev) -> list:
        """The wire form of an event: a positional array (protocol/runtime.ts EVENT_FIELDS)."""
        kind, ch, ts, loc, size, pv, pf, x = ev
        self.n += 1
        return [kind, ch, self.n, ts, f"{loc[0]}:{loc[1]}" if loc else "", size,
                b64encode(pv[: protocol.IMAGE_BYTES]).decode() if pv else "", pf, x]


def _frame(obj) -> bytes:
    body = json.dumps(obj, separators=(",", ":")).encode()
    return struct.pack(">I", len(body)) + body


def _recv_exact(s, n: int) -> bytes:
    out = b""
    while len(out) < n:
        chunk = s.recv(n - len(out))
        if not chunk:
            raise ConnectionError("hub closed the connection")
        out += chunk
    return out
