"""multiprocessing Queue / JoinableQueue / SimpleQueue and Connection (Pipe) hooks.

A channel is named by the inode of its pipe or socket, which is the same in every process that
holds it (fork, spawn or forkserver), so the hub can join both ends. Payload previews are the
pickled bytes multiprocessing itself sends: nothing is pickled twice, nothing is unpickled here.
"""
import collections
import os
from time import monotonic_ns

import sys

from .. import debug, protocol
from . import _OURS, _is_internal, blocking, frame_location, hide, user_location

PV = protocol.PREVIEW_BYTES
EV_QUEUE_PUT, EV_QUEUE_GET, EV_CONN_SEND, EV_CONN_RECV = protocol.EV_QUEUE_PUT, protocol.EV_QUEUE_GET, protocol.EV_CONN_SEND, protocol.EV_CONN_RECV
_getframe = sys._getframe
_emit = None
connection = queues = ForkingPickler = None  # set by install()
_handshake_file = None  # multiprocessing/connection.py, whose answer_challenge/deliver_challenge authenticate
_UNBOUNDED = 2**31 - 1  # SEM_VALUE_MAX, read at install
# A Connection send this large may not fit in what is left of the pipe's buffer, so it may wait for the
# reader: marked as a blocking call. A smaller one waits only behind a backlog the channel already shows.
SEND_MAY_BLOCK = 4096
class _DepthExtras(dict):
    """A queue event's extras by depth: for the usual depths made once (no dict per event, and marshal
    sends a repeated one as a back-reference, which the hub reads once per frame), for a larger one made
    anew and not kept. Never changed once made."""
    __slots__ = ()

    def __missing__(self, depth):
        return {"depth": depth}


_DEPTH_X = _DepthExtras((n, {"depth": n}) for n in range(64))


def _ino(conn) -> int:
    try:
        return os.fstat(conn.fileno()).st_ino
    except (OSError, ValueError):
        return 0


def _depth(q):
    """Queue.qsize() without its call (this is the hot path); None where the platform has no
    sem_getvalue (macOS) or the queue is closed."""
    try:
        return q._maxsize - q._sem._semlock._get_value()
    except (NotImplementedError, OSError, ValueError, AttributeError):
        return None


def _mark_queue(q, reader, writer) -> str:
    ch = f"queue:{_ino(reader)}"
    q._ipcscope_ch = ch
    # (location, depth, time) of each put, in order, until the feeder thread writes it to the pipe.
    q._ipcscope_pending = collections.deque()
    for c in (reader, writer):
        c._ipcscope_queue = q
    return ch


def _own_sems(q) -> list:
    """The /dev/shm inodes of a queue's own locks and semaphores (its read and write locks, its count;
    a JoinableQueue's too), so the kernel's view can name them as the queue's."""
    try:
        from .sync import sem_inodes

        locks = [getattr(getattr(q, a, None), "_semlock", None) for a in ("_rlock", "_wlock", "_sem", "_unfinished_tasks")]
        cond = getattr(q, "_cond", None)  # a JoinableQueue's Condition
        locks.append(getattr(getattr(cond, "_lock", None), "_semlock", None))
        return [i for i in sem_inodes([sl for sl in locks if sl is not None]) if i is not None]
    except Exception:
        return []


def _channel(conn) -> str:
    """The connection's channel, or "" for one the standard library uses for itself (a Manager's
    connections, concurrent.futures' wakeups): decided once, by whether its first send or receive comes
    from the library. Their traffic is not the user's messages (a Manager's calls are reported as
    manager.call). The authentication handshake of Client/Listener is never a message, and decides
    nothing: a user's authenticated connection is still the user's. A queue's pipe stays the queue's
    whoever uses it (a Pool's task handler sends on its task queue's pipe directly)."""
    ch = getattr(conn, "_ipcscope_ch", None)
    if ch is None:
        fn = _getframe(2).f_code.co_filename  # who called the hook
        if fn == _handshake_file:
            return ""
        own = _is_internal(fn) and getattr(conn, "_ipcscope_queue", None) is None
        ch = conn._ipcscope_ch = "" if own else f"conn:{_ino(conn)}"
    return ch


def queue_reset(self, *args, **kwargs):
    try:
        original_queue_reset(self, *args, **kwargs)
    except BaseException as e:
        hide(e)
        raise
    try:
        _mark_queue(self, self._reader, self._writer)
    except Exception:
        pass


def queue_init(self, *args, **kwargs):
    try:
        original_queue_init(self, *args, **kwargs)
    except BaseException as e:
        hide(e)
        raise
    try:
        _emit(protocol.EV_QUEUE_NEW, self._ipcscope_ch, user_location(), x={"maxsize": self._maxsize, "type": type(self).__name__, "sems": _own_sems(self)})
    except Exception:
        pass


def _gate(op: str, ch: str, obj) -> None:
    """The breakpoint gate (debug.gate) for a call made straight from the user's code, through our
    wrappers (blocking's, say); multiprocessing's own sends (a Manager's calls, a Pool's tasks) are
    not stopped on."""
    f = sys._getframe(1)
    while f is not None and f.f_code.co_filename.startswith(_OURS):
        f = f.f_back
    if f is not None and not _is_internal(f.f_code.co_filename):
        debug.gate(op, ch, obj, (f.f_code, f.f_lasti))


def _put_hook(original):
    """Queue.put and JoinableQueue.put (its own implementation) wrapped alike: the gate before the
    item is handed over. Its [site, time, depth] waits in the queue's pending list for the feeder
    thread, which sends it with the pickled bytes (see send_bytes). The entry goes in first, as the
    feeder may send the item before put() returns; time and depth (one sem_getvalue) are filled in
    once it has returned, so they say when the item went in and how many it joined."""
    def put(self, obj, block=True, timeout=None):
        try:
            if debug.armed:
                _gate("send", getattr(self, "_ipcscope_ch", ""), obj)
            pending = getattr(self, "_ipcscope_pending", None)
            entry = [frame_location(_getframe(1)), 0, None]
            if pending is not None:
                pending.append(entry)
            try:
                if block and getattr(self, "_maxsize", _UNBOUNDED) < _UNBOUNDED:
                    # A bounded queue's put waits while it is full: marked, so a producer stuck there is seen.
                    b = blocking.begin("put", getattr(self, "_ipcscope_ch", ""))
                    try:
                        original(self, obj, block, timeout)
                    finally:
                        blocking.end(b)
                else:
                    original(self, obj, block, timeout)
            except BaseException:
                if pending is not None:
                    _forget(pending, entry)
                raise
        except BaseException as e:
            hide(e)
            raise
        try:  # _depth(self), inlined: this is the hot path
            entry[2] = self._maxsize - self._sem._semlock._get_value()
        except (NotImplementedError, OSError, ValueError, AttributeError):
            pass
        entry[1] = monotonic_ns()

    return put


def _forget(pending, entry) -> None:
    """Takes out the entry of a put that failed (queue.Full, a closed queue): by identity."""
    for i, e in enumerate(pending):
        if e is entry:
            del pending[i]
            return


def simple_put(self, obj):
    # Before SimpleQueue.put takes its write lock: a stop here holds nothing.
    try:
        if debug.armed:
            _gate("send", getattr(self, "_ipcscope_ch", ""), obj)
        original_simple_put(self, obj)
    except BaseException as e:
        hide(e)
        raise


def queue_get(self, block=True, timeout=None):
    """Queue.get (JoinableQueue's too). Its usual form, a get that waits as long as it takes, is
    CPython's own code (the same from 3.10 to 3.13) with the report made here: one wrapper, with
    none around the read lock's `with` or the pipe's recv_bytes. Other forms call the original."""
    try:
        ch = getattr(self, "_ipcscope_ch", None)
        if not block or timeout is not None or ch is None or self._closed:
            if not block:
                obj = original_queue_get(self, block, timeout)
            else:
                b = blocking.begin("get", ch or "")
                try:
                    obj = original_queue_get(self, block, timeout)
                finally:
                    blocking.end(b)
        else:
            b = blocking.begin("get", ch)
            try:
                rlock = self._rlock
                rlock.acquire()
                try:
                    res = original_recv_bytes(self._reader)
                    try:  # under the read lock, so gets by several threads are reported in their order
                        depth = _depth(self)  # the item just read is still counted until _sem.release()
                        x = _DEPTH_X[depth - 1 if depth else 0] if depth is not None else None
                        _emit(EV_QUEUE_GET, ch, frame_location(_getframe(1)), len(res), res[:PV], "pickle", x)
                    except Exception:
                        pass
                finally:
                    rlock.release()
                self._sem.release()
            finally:
                blocking.end(b)
            obj = ForkingPickler.loads(res)
        if debug.armed:
            _gate("recv", ch or "", obj)
        return obj
    except BaseException as e:
        hide(e)
        raise


def simple_get(self):
    try:
        obj = original_simple_get(self)
        if debug.armed:
            _gate("recv", getattr(self, "_ipcscope_ch", ""), obj)
        return obj
    except BaseException as e:
        hide(e)
        raise


def simple_init(self, *args, **kwargs):
    try:
        original_simple_init(self, *args, **kwargs)
    except BaseException as e:
        hide(e)
        raise
    try:
        ch = _mark_queue(self, self._reader, self._writer)
        _emit(protocol.EV_QUEUE_NEW, ch, user_location(), x={"maxsize": 0, "type": "SimpleQueue", "sems": _own_sems(self)})
    except Exception:
        pass


def simple_setstate(self, state):
    try:
        original_simple_setstate(self, state)
    except BaseException as e:
        hide(e)
        raise
    try:
        _mark_queue(self, self._reader, self._writer)
    except Exception:
        pass


def _preview(buf, offset, size):
    """(size, first PV bytes) of what send_bytes(buf, offset, size) sends."""
    if offset == 0 and size is None and type(buf) is bytes:  # what Queue's feeder sends
        return len(buf), buf[:PV]
    data = memoryview(buf).cast("B")
    data = data[offset: offset + size if size is not None else None]
    return len(data), bytes(data[:PV])


def send_bytes(self, buf, offset=0, size=None):
    try:
        q = getattr(self, "_ipcscope_queue", None)
        if q is not None:
            # A queue's item is reported before it is written: a write that blocks (a large item nobody
            # reads, the join-before-drain deadlock) leaves it in the queue's contents, as it truly is.
            try:  # the put whose pickled bytes the feeder thread (or SimpleQueue.put) is about to write
                n, head = _preview(buf, offset, size)
                pending = q._ipcscope_pending
                if pending:
                    loc, ts, depth = pending.popleft()
                    if not ts:  # sent before its put() returned: now is as good
                        ts, depth = monotonic_ns(), _depth(q)
                    _emit(EV_QUEUE_PUT, q._ipcscope_ch, loc, n, head, "pickle", _DEPTH_X[depth], ts)
                else:  # SimpleQueue writes in the caller's thread
                    _emit(EV_QUEUE_PUT, q._ipcscope_ch, frame_location(_getframe(1)), n, head, "pickle")
            except Exception:
                pass
            return original_send_bytes(self, buf, offset, size)
        ch = _channel(self)
        if not ch:
            return original_send_bytes(self, buf, offset, size)
        if debug.armed:
            _gate("send", ch, bytes(memoryview(buf)[:protocol.PREVIEW_BYTES]))
        if (size if size is not None else len(buf) if type(buf) is bytes else memoryview(buf).nbytes) >= SEND_MAY_BLOCK:
            b = blocking.begin("send_bytes", ch)
            try:
                original_send_bytes(self, buf, offset, size)
            finally:
                blocking.end(b)
        else:
            original_send_bytes(self, buf, offset, size)
    except BaseException as e:
        hide(e)
        raise
    try:
        n, head = _preview(buf, offset, size)
        _emit(EV_CONN_SEND, ch, frame_location(_getframe(1)), n, head, "bytes")
    except Exception:
        pass


def recv_bytes(self, maxlength=None):
    try:
        q = getattr(self, "_ipcscope_queue", None)
        if q is not None:  # inside Queue.get (which marked the blocking call) or SimpleQueue.get
            data = original_recv_bytes(self, maxlength)
            try:
                # Queue.get releases its semaphore after reading: the item just read is still counted.
                depth = _depth(q) if isinstance(q, queues.Queue) else None
                x = _DEPTH_X[max(0, depth - 1)] if depth is not None else None
                _emit(EV_QUEUE_GET, q._ipcscope_ch, frame_location(_getframe(1)), len(data), data[:PV], "pickle", x)
            except Exception:
                pass
            return data
        ch = _channel(self)
        if not ch:
            return original_recv_bytes(self, maxlength)
        b = blocking.begin("recv_bytes", ch)
        try:
            data = original_recv_bytes(self, maxlength)
        finally:
            blocking.end(b)
        try:
            _emit(EV_CONN_RECV, ch, frame_location(_getframe(1)), len(data), data[:PV], "bytes")
            if debug.armed:
                _gate("recv", ch, data)
        except Exception:
            pass
        return data
    except BaseException as e:
        hide(e)
        raise


def send(self, obj):
    # As CPython's send(), keeping the pickled bytes for the preview (pickled once, as before).
    try:
        ch = _channel(self)
        if not ch:
            return original_send(self, obj)
        if debug.armed:
            _gate("send", ch, obj)
        self._check_closed()
        self._check_writable()
        buf = ForkingPickler.dumps(obj)
        if len(buf) >= SEND_MAY_BLOCK:
            b = blocking.begin("send", ch)
            try:
                self._send_bytes(buf)
            finally:
                blocking.end(b)
        else:
            self._send_bytes(buf)
        try:
            _emit(EV_CONN_SEND, ch, frame_location(_getframe(1)), len(buf), bytes(memoryview(buf)[:PV]), "pickle")
        except Exception:
            pass
    except BaseException as e:
        hide(e)
        raise


def recv(self):
    try:
        ch = _channel(self)
        if not ch:
            return original_recv(self)
        self._check_closed()
        self._check_readable()
        b = blocking.begin("recv", ch)
        try:
            buf = self._recv_bytes()
        finally:
            blocking.end(b)
        try:
            view = buf.getbuffer()
            _emit(EV_CONN_RECV, ch, frame_location(_getframe(1)), len(view), bytes(view[:PV]), "pickle")
            del view
        except Exception:
            pass
        obj = ForkingPickler.loads(buf.getbuffer())
        if debug.armed:
            _gate("recv", ch, obj)
        return obj
    except BaseException as e:
        hide(e)
        raise


def install(transport) -> None:
    """Runs once multiprocessing.connection is imported (bootstrap's post-import hook)."""
    global _emit, connection, ForkingPickler, _handshake_file
    global original_send, original_recv, original_send_bytes, original_recv_bytes
    _emit = transport.emit
    blocking.bind(transport)
    from multiprocessing import connection
    from multiprocessing.reduction import ForkingPickler

    _handshake_file = connection.answer_challenge.__code__.co_filename

    base = connection._ConnectionBase
    original_send, original_recv = base.send, base.recv
    original_send_bytes, original_recv_bytes = base.send_bytes, base.recv_bytes
    base.send_bytes = send_bytes
    base.recv_bytes = recv_bytes
    base.send = send
    base.recv = recv


def install_queues(transport) -> None:
    """Runs once multiprocessing.queues is imported (after connection, which it imports)."""
    global _emit, queues, original_queue_reset, original_queue_init, original_queue_put, original_simple_init, original_simple_setstate
    global original_joinable_put, original_simple_put, original_queue_get, original_simple_get, _UNBOUNDED
    _emit = transport.emit
    blocking.bind(transport)
    from multiprocessing import queues
    try:
        import _multiprocessing

        _UNBOUNDED = _multiprocessing.SemLock.SEM_VALUE_MAX  # an unbounded Queue's _maxsize
    except (ImportError, AttributeError):
        pass

    original_queue_reset = queues.Queue._reset
    original_queue_init = queues.Queue.__init__
    original_queue_put = queues.Queue.put
    original_simple_init = queues.SimpleQueue.__init__
    original_simple_setstate = queues.SimpleQueue.__setstate__
    queues.Queue._reset = queue_reset
    queues.Queue.__init__ = queue_init
    queues.Queue.put = _put_hook(original_queue_put)
    queues.SimpleQueue.__init__ = simple_init
    queues.SimpleQueue.__setstate__ = simple_setstate
    # For breakpoints: a put stops before the item is handed over, a get after it is received.
    original_joinable_put = queues.JoinableQueue.put
    original_simple_put = queues.SimpleQueue.put
    original_queue_get = queues.Queue.get
    original_simple_get = queues.SimpleQueue.get
    queues.JoinableQueue.put = _put_hook(original_joinable_put)
    queues.SimpleQueue.put = simple_put
    queues.Queue.get = queue_get
    queues.SimpleQueue.get = simple_get
