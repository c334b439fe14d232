"""Which blocking call each thread is in: Queue.get, Connection.recv, Process.join.

A call that may block marks its thread's slot on entry and clears it on return: a dict store and a
pop, no event. The sender thread looks every SAMPLE_MS: a call still in progress after
BLOCK_REPORT_NS is reported (op.block, with the user's line read from that thread's frame), and then
its end (op.unblock). Calls that return quickly cost no event at all. The server shows the reported
call next to the kernel's view of what the process sleeps in, and names it in deadlock reports.
"""
import os
import sys
from _thread import get_ident
from time import monotonic_ns

from .. import protocol
from . import frame_location

BLOCK_REPORT_NS = 200_000_000
_active = {}  # thread ident -> [op, channel, target pid, start ns, reported]
_transport = None
_sampling = False


def begin(op: str, ch: str, target=None):
    global _sampling
    e = [op, ch, target, monotonic_ns(), False]
    _active[get_ident()] = e
    if not _sampling:
        _sampling = True
        _transport.add_sampler(_sample)
    return e


def end(e) -> None:
    _active.pop(get_ident(), None)
    if e[4]:
        _transport.emit(protocol.EV_OP_UNBLOCK, e[1], None, x={"op": e[0]})


def _sample() -> None:
    """In the sender thread: report calls blocked for longer than BLOCK_REPORT_NS."""
    if not _active:
        return
    now = monotonic_ns()
    frames = None
    for ident, e in list(_active.items()):
        if e[4] or now - e[3] < BLOCK_REPORT_NS:
            continue
        if frames is None:
            frames = sys._current_frames()
        x = {"op": e[0]}
        if e[2] is not None:
            x["pid"] = e[2]
        e[4] = True
        _transport.emit(protocol.EV_OP_BLOCK, e[1], frame_location(frames.get(ident)), x=x, ts=e[3])
        if _active.get(ident) is not e:  # it returned meanwhile: its end() may have missed the flag
            _transport.emit(protocol.EV_OP_UNBLOCK, e[1], None, x={"op": e[0]})


def _queue_get(self, block=True, timeout=None):
    if not block:
        return original_queue_get(self, block, timeout)
    e = begin("get", getattr(self, "_ipcscope_ch", ""))
    try:
        return original_queue_get(self, block, timeout)
    finally:
        end(e)


def _conn_recv(self):
    e = begin("recv", getattr(self, "_ipcscope_ch", "") or _conn_channel(self))
    try:
        return original_conn_recv(self)
    finally:
        end(e)


def _conn_recv_bytes(self, maxlength=None):
    if getattr(self, "_ipcscope_queue", None) is not None:  # inside Queue.get: already marked
        return original_conn_recv_bytes(self, maxlength)
    e = begin("recv_bytes", getattr(self, "_ipcscope_ch", "") or _conn_channel(self))
    try:
        return original_conn_recv_bytes(self, maxlength)
    finally:
        end(e)


def _conn_channel(conn) -> str:
    try:
        return f"conn:{os.fstat(conn.fileno()).st_ino}"
    except (OSError, ValueError):
        return ""


def _process_join(self, timeout=None):
    e = begin("join", "", getattr(self, "pid", None))
    try:
        return original_process_join(self, timeout)
    finally:
        end(e)


def install(transport) -> None:
    """Runs when multiprocessing.process is imported: Process.join."""
    global _transport, original_process_join
    _transport = transport
    os.register_at_fork(after_in_child=_active.clear)
    from multiprocessing import process

    original_process_join = process.BaseProcess.join
    process.BaseProcess.join = _process_join


def install_connection(transport) -> None:
    """After hooks/mp.py wrapped Connection: recv and recv_bytes (blocking reads)."""
    global _transport, original_conn_recv, original_conn_recv_bytes
    _transport = transport
    from multiprocessing import connection

    base = connection._ConnectionBase
    original_conn_recv, original_conn_recv_bytes = base.recv, base.recv_bytes
    base.recv = _conn_recv
    base.recv_bytes = _conn_recv_bytes


def install_queues(transport) -> None:
    """After hooks/mp.py wrapped Queue: get."""
    global _transport, original_queue_get
    _transport = transport
    from multiprocessing import queues

    original_queue_get = queues.Queue.get
    queues.Queue.get = _queue_get
