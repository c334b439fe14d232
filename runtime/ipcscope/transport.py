"""Sends events to the hub without ever blocking or breaking the user's program.

Producers append to a bounded deque (a full buffer counts a drop instead of waiting); a sender
thread started with _thread (invisible to threading.enumerate()) connects lazily, batches and
writes frames. Any error makes the transport go quiet for good (fail-open), after telling the hub,
if one listens, how many events it could not send. After fork the child starts afresh with its own
connection.

Nothing is connected, and no thread started, until a process does its first IPC: a Python process
that does none pays only for importing this module. The socket is a bare _socket.socket, so the
runtime's own traffic never passes through the hooks on socket.socket.
"""
from __future__ import annotations

import _signal
import _thread
import _socket
import marshal
import os
import struct
import sys
import time
from time import monotonic_ns

from itertools import islice
from operator import itemgetter
from types import CodeType

from . import protocol
from .sites import resolve

MAX_BUFFERED = 50_000
# Events per frame, and how long the sender sleeps when no full batch wakes it. Few, large frames: a
# Queue ping-pong lost 2-4% less to sending (its wake-ups, each taking the GIL) than with 512 every 20 ms.
BATCH = 2048
SEND_EVERY = 0.1
# Preview bytes per frame: with IMAGE_BYTES previews a frame stays well under MAX_FRAME_BYTES.
BATCH_BYTES = 256 * 1024
# The longest a process's exit waits for its last events to be sent.
FLUSH_MAX = 3.0


def start_ticks(pid="self") -> int:
    """A process's start time in clock ticks (field 22 of /proc/<pid>/stat): with its pid, its key. 0 if unreadable."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return int(f.read().rsplit(b")", 1)[1].split()[19])
    except (OSError, ValueError, IndexError):
        return 0


def _proc_identity() -> dict:
    """What ps would show (comm, full command line), so the hub can list a process no scan caught."""
    out = {}
    try:
        with open("/proc/self/comm", "rb") as f:
            out["comm"] = f.read().rstrip(b"\n").decode("utf-8", "replace")
        with open("/proc/self/cmdline", "rb") as f:
            out["cmdline"] = [a.decode("utf-8", "replace") for a in f.read().split(b"\0")[:-1]]
    except OSError:
        pass
    return out


class Transport:
    def __init__(self, path: str, token: str) -> None:
        self.path = path
        self.token = token
        self._reset()

    def _reset(self) -> None:
        self.pid = os.getpid()
        # Events in order. A list: the sender takes a batch off its front with two slice operations,
        # each atomic under the GIL, while producers only append.
        self.buf: list = []
        self.dropped = 0
        self.dead = False
        self.sock = None
        self.started = False
        self.idle = True
        # Events taken from the buffer for the frame being sent (lost with it if the send fails).
        self.inflight = 0
        # Set by flush when exit cannot wait any longer: the sender stops, counting what it still held.
        self.closing = False
        self.stopped = _thread.allocate_lock()
        self.stopped.acquire()
        self.wake = _thread.allocate_lock()
        self.wake.acquire()
        # Released by the reader thread once the hub has closed its side (see flush).
        self.hub_done = _thread.allocate_lock()
        self.hub_done.acquire()
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
            self._start()
        elif self.idle and len(self.buf) >= BATCH:
            self._wake_sender()

    def emit_now(self, kind: str, ch: str = "", loc=None, x=None) -> None:
        """A debugger event: never dropped for a full buffer, sent at once (after what is queued)."""
        if self.dead:
            return
        self.buf.append((kind, ch, monotonic_ns(), loc, -1, b"", "", x))
        if not self.started:
            self._start()
        else:
            self._wake_sender()

    def _wake_sender(self) -> None:
        if self.wake.locked():
            try:
                self.wake.release()
            except RuntimeError:
                pass  # released by another thread meanwhile

    def start_now(self) -> None:
        """Connects now rather than at the first IPC (a debugged process wants its breakpoints)."""
        if not self.started and not self.dead:
            self._start()

    def add_sampler(self, fn) -> None:
        """fn() runs in the sender thread every SAMPLE_MS and at flush (it may emit); errors drop it."""
        self.samplers.append(fn)
        if not self.started and not self.dead:
            self._start()

    def _start(self) -> None:
        # The first IPC of this process: announce it, then connect (in the sender thread).
        self.started = True
        # Stamped no later than the event that started it (already buffered), so it is first in time too.
        ts = min(monotonic_ns(), self.buf[0][2]) if self.buf else monotonic_ns()
        self.buf.insert(0, (protocol.EV_PROCESS_START, "", ts, None, -1, b"", "", None))
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
        """Waits until what was emitted is sent, then until the hub has closed the connection; used
        at exit. Gives up after `timeout` without progress (a hub that accepts nothing), and after
        FLUSH_MAX in any case, so exit is never held for long; a loaded machine that is still
        connecting or sending gets the extra time."""
        if self.dead or not self.started:
            return
        self._sample()  # final contents of shared objects, from this thread
        now = time.monotonic()
        end, hard_end = now + timeout, now + FLUSH_MAX
        left = len(self.buf)
        while (self.buf or not self.idle) and not self.dead:
            now = time.monotonic()
            if now >= end or now >= hard_end:
                break
            self._wake_sender()
            time.sleep(0.002)
            if len(self.buf) < left or (self.sock is None and not self.dead):
                left = len(self.buf)
                end = time.monotonic() + timeout  # progress, or still connecting: keep waiting
        if (self.buf or not self.idle) and not self.dead:
            self._give_up()
        elif self.sock is not None and not self.buf and self.idle and not self.dead:
            # Close our half and wait for the hub to close its own. A Unix socket closed while the
            # hub's last command (a config frame, say) is still unread resets the connection, and
            # the hub then loses the events sent just before: the reader thread takes it first.
            try:
                self.sock.shutdown(_socket.SHUT_WR)
                self.hub_done.acquire(timeout=max(0.0, min(timeout, hard_end - time.monotonic())))
            except (OSError, ValueError):
                pass

    def _give_up(self) -> None:
        """Exit cannot wait for the rest: stop the sender (a send in progress fails at once) and let it
        report, as lost, what it still held. Without a connection yet, report here."""
        self.closing = True
        if self.sock is None:
            lost = len(self.buf)
            self.dead = True
            self.buf.clear()
            self._report_lost(lost)
            return
        try:
            self.sock.shutdown(_socket.SHUT_WR)
        except OSError:
            pass
        self._wake_sender()
        self.stopped.acquire(timeout=0.5)

    def _report_lost(self, lost: int) -> None:
        """Tells the hub, on a new connection, how many events this process could not send (a lost
        frame; no answer awaited). Nobody listening: nobody to tell."""
        if lost <= 0:
            return
        try:
            s = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM | _socket.SOCK_CLOEXEC)
            try:
                s.settimeout(0.5)
                s.connect(self.path)
                s.sendall(_control_frame({"t": protocol.FRAME_LOST, "v": protocol.RUNTIME_PROTOCOL_VERSION, "token": self.token,
                                          "pid": os.getpid(), "start": start_ticks(), "lost": lost}))
            finally:
                s.close()
        except OSError:
            pass

    # -- sender thread -------------------------------------------------------------------
    def _connect(self) -> None:
        s = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM | _socket.SOCK_CLOEXEC)
        s.settimeout(2.0)
        _name_runtime_end(s)
        s.connect(self.path)
        hello = {"t": protocol.FRAME_HELLO, "v": protocol.RUNTIME_PROTOCOL_VERSION, "token": self.token, "pid": os.getpid(),
                 "ppid": os.getppid(), "start": start_ticks(), "argv": list(sys.argv), "python": sys.version.split()[0],
                 "debug": os.environ.get(protocol.ENV_DEBUG, ""), **_proc_identity()}
        s.sendall(_control_frame(hello))
        head = _recv_exact(s, 4)
        reply = _recv_exact(s, min(struct.unpack(">I", head)[0], 4096))
        if b'"t":"%s"' % protocol.FRAME_WELCOME.encode() not in reply:
            raise ConnectionError(reply[:200].decode("utf-8", "replace"))
        s.settimeout(None)
        self.sock = s
        # The hub's commands (breakpoints, resume, variables) arrive on the same socket.
        _thread.start_new_thread(self._read_commands, (s,))

    def _read_commands(self, s) -> None:
        from . import debug

        _leave_signals_to_the_program()
        _name_this_thread(protocol.READER_THREAD_NAME)
        try:
            while True:
                head = _recv_exact(s, 4)
                n = struct.unpack(">I", head)[0]
                if n > protocol.MAX_FRAME_BYTES:
                    raise ConnectionError("oversized command")
                body = _recv_exact(s, n)
                if body[:1] == bytes([protocol.DEBUG_TAG]):
                    c = marshal.loads(body[1:])
                    if isinstance(c, dict):
                        debug.command(c)
        except Exception:
            pass
        if s is self.sock:  # not a parent's socket seen by a forked child
            debug.release_all()  # the hub or the debugger went away: nobody stays stopped (fail-open)
            if self.hub_done.locked():
                self.hub_done.release()

    def _run(self) -> None:
        _leave_signals_to_the_program()
        _name_this_thread(protocol.SENDER_THREAD_NAME)
        try:
            self._connect()
            while True:
                self.idle = True
                self.wake.acquire(timeout=SEND_EVERY)
                self.idle = False
                if self.samplers:
                    now = time.monotonic()
                    if now - self.sampled_at >= protocol.SAMPLE_MS / 1000:
                        self.sampled_at = now
                        self._sample()
                while self.buf:
                    self._send_batch()
        except Exception:
            # Hub missing, refused us or went away, or exit could not wait: stay quiet from now on,
            # after telling the hub (if one listens) how many events are lost.
            lost = len(self.buf) + self.inflight
            self.dead = True
            self.idle = True
            self.buf.clear()
            self.inflight = 0
            self._report_lost(lost)
            if self.stopped.locked():
                self.stopped.release()
            from . import debug

            debug.release_all()  # nobody waits for breakpoints that cannot come

    def _send_batch(self) -> None:
        """Up to BATCH events (and BATCH_BYTES of previews) as one binary frame, under the hub's
        MAX_FRAME_BYTES. The buffered tuples are already in wire order (protocol EVENT_FIELDS), with
        their locations resolved by the hooks (sites.where), so marshal encodes them as they are: no
        Python code runs per event here, and the GIL is held for as short a time as this can be."""
        buf = self.buf
        n = min(len(buf), BATCH)
        batch = buf[:n]
        # Taken out of the buffer before encoding: an event held only by the batch is not one marshal
        # may meet again, so it gets no back-reference (a hash-table entry here, a slot in the hub),
        # which halved the encoding's time. Lost with the frame if the send fails (inflight).
        del buf[:n]
        self.inflight = n
        keep = n
        while keep > 1 and sum(map(len, map(_PREVIEW, islice(batch, keep)))) > BATCH_BYTES:  # large previews: fewer
            keep //= 2
        # A location left as a site (code, lasti) would be marshalled as a code object, which the hub
        # refuses with the whole frame: resolved here instead (no hook is known to leave one).
        if CodeType in set(map(type, map(_FIRST, filter(None, map(_LOC, batch))))):
            batch = [ev if ev[3] is None or type(ev[3][0]) is not CodeType else ev[:3] + (resolve(ev[3]),) + ev[4:] for ev in batch]
        if keep < n:
            batch = self._put_back(batch, keep)
        body, sent, bad = self._encode(batch)
        while len(body) >= protocol.MAX_FRAME_BYTES and len(batch) > 1:  # large extras (x): fewer
            batch = self._put_back(batch, len(batch) // 2)
            body, sent, bad = self._encode(batch)
        if len(body) >= protocol.MAX_FRAME_BYTES:  # one event larger than a frame: counted, not sent
            bad, sent = 1, 0
            body = marshal.dumps([self.dropped + 1, []], protocol.MARSHAL_VERSION)
        self.dropped += bad
        self.inflight = sent
        self.sock.sendall(struct.pack(">IB", len(body) + 1, protocol.EVENTS_TAG) + body)
        self.inflight = 0
        if self.closing:
            raise ConnectionAbortedError("exit could not wait for the rest")

    def _put_back(self, batch: list, keep: int) -> list:
        """Returns the events after the first `keep` to the front of the buffer (producers only append,
        so they stay first, in order) and the first `keep`."""
        self.buf[0:0] = batch[keep:]
        self.inflight = keep
        return batch[:keep]

    def _encode(self, batch: list):
        """(frame body, events in it, events marshal cannot encode: left out, to be counted as dropped)."""
        try:
            return marshal.dumps([self.dropped, batch], protocol.MARSHAL_VERSION), len(batch), 0
        except ValueError:
            good = []
            for ev in batch:
                try:
                    marshal.dumps(ev, protocol.MARSHAL_VERSION)
                    good.append(ev)
                except ValueError:
                    pass
            bad = len(batch) - len(good)
            return marshal.dumps([self.dropped + bad, good], protocol.MARSHAL_VERSION), len(good), bad


# Fields of a buffered event (protocol EVENT_FIELDS), read in C by map().
_LOC, _PREVIEW, _FIRST = itemgetter(3), itemgetter(5), itemgetter(0)


def _name_runtime_end(s) -> None:
    """Binds our end of the hub connection to an abstract name (Linux), so the kernel's view can tell
    it from the program's sockets even while the hub has not accepted it yet. Nobody can connect to it:
    it never listens."""
    try:
        s.bind("\0%s%d-%s" % (protocol.RUNTIME_SOCKET_PREFIX, os.getpid(), os.urandom(6).hex()))
    except (OSError, ValueError):
        pass  # no abstract names here (not Linux): the connection still works, unnamed


# Never blocked: the signals a thread's own faults raise (the kernel would deliver them anyway), and the
# two no thread can block.
_FAULTS = frozenset(getattr(_signal, n) for n in ("SIGSEGV", "SIGBUS", "SIGFPE", "SIGILL", "SIGTRAP", "SIGSYS", "SIGKILL", "SIGSTOP") if hasattr(_signal, n))


def _leave_signals_to_the_program() -> None:
    """Blocks, in the calling thread of ours, the signals sent to the process: they are the program's.
    The kernel gives a process's signal to any thread that does not block it, and CPython runs the
    handler in the main thread only when it next runs: a program waiting in time.sleep() for its
    SIGTERM would sleep on if our thread took the signal."""
    try:
        _signal.pthread_sigmask(_signal.SIG_BLOCK, _signal.valid_signals() - _FAULTS)
    except (AttributeError, OSError, ValueError):
        pass


def _name_this_thread(name: str) -> None:
    """Names the calling thread (its comm) so /proc readers can tell the sender from the program's threads."""
    try:
        with open("/proc/self/task/%d/comm" % _thread.get_native_id(), "w") as f:
            f.write(name)
    except (OSError, AttributeError):
        pass


# JSON for the hello frame, by hand: importing json would cost the program's start-up, and importing
# it later in the sender thread could leave a forked child's import lock held by a thread it lacks.
_JSON_ESCAPES = {i: f"\\u{i:04x}" for i in range(32)}
_JSON_ESCAPES.update({ord('"'): '\\"', ord("\\"): "\\\\"})


def _control_frame(obj) -> bytes:
    """A JSON control frame (hello, lost): its length, then its UTF-8 text."""
    body = _json(obj).encode("utf-8", "replace")
    return struct.pack(">I", len(body)) + body


def _json(v) -> str:
    if isinstance(v, str):
        return '"' + v.translate(_JSON_ESCAPES) + '"'
    if isinstance(v, bool) or v is None:
        return "true" if v else "false" if v is not None else "null"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, (list, tuple)):
        return "[" + ",".join(_json(x) for x in v) + "]"
    return "{" + ",".join(_json(str(k)) + ":" + _json(x) for k, x in v.items()) + "}"


def _recv_exact(s, n: int) -> bytes:
    out = b""
    while len(out) < n:
        chunk = s.recv(n - len(out))
        if not chunk:
            raise ConnectionError("hub closed the connection")
        out += chunk
    return out
