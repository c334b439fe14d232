"""Which blocking call each thread is in: Queue.get, Connection.recv/recv_bytes (marked by hooks/mp.py),
Process.join.

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
from . import frame_location, hide

BLOCK_REPORT_NS = protocol.BLOCK_REPORT_MS * 1_000_000
_active = {}  # thread ident -> [op, channel, target pid, start ns, reported]
_transport = None
_sampling = False
_bound = False


def begin(op: str, ch: str, target=None):
    global _sampling
    e = _active[get_ident()] = [op, ch, target, monotonic_ns(), False]
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
        tid = _native_id(ident)
        if tid is not None:
            x["tid"] = tid  # the kernel's thread id: the server joins the call with what that thread sleeps in
        e[4] = True
        _transport.emit(protocol.EV_OP_BLOCK, e[1], frame_location(frames.get(ident)), x=x, ts=e[3])
        if _active.get(ident) is not e:  # it returned meanwhile: its end() may have missed the flag
            _transport.emit(protocol.EV_OP_UNBLOCK, e[1], None, x={"op": e[0]})


def _native_id(ident):
    """The native thread id of a Python thread (by its ident), or None; read off the hot path."""
    threading = sys.modules.get("threading")
    try:
        t = threading._active.get(ident) if threading is not None else None
        return t.native_id if t is not None else None
    except Exception:
        return None


def _process_join(self, timeout=None):
    try:
        b = begin("join", "", getattr(self, "pid", None))
        try:
            return original_process_join(self, timeout)
        finally:
            end(b)
    except BaseException as e:
        hide(e)
        raise


def bind(transport) -> None:
    """The transport that reports blocked calls; hooks/mp.py marks its own (Queue.get, recv, recv_bytes)
    with begin/end in its wrappers, so each call passes through one wrapper, not two."""
    global _transport, _bound
    if not _bound:
        _bound = True
        _transport = transport
        os.register_at_fork(after_in_child=_active.clear)


def install(transport) -> None:
    """Runs when multiprocessing.process is imported: Process.join."""
    global original_process_join
    bind(transport)
    from multiprocessing import process

    original_process_join = process.BaseProcess.join
    process.BaseProcess.join = _process_join
