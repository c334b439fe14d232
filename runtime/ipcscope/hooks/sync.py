"""multiprocessing Lock / RLock / Semaphore / BoundedSemaphore / Condition / Event / Barrier hooks.

Only objects the user's code creates are reported: the locks multiprocessing makes for itself (inside
Queue, Value, Pool, …) keep their C methods and cost nothing more. A user object's semaphore gets a
name with a mark (".ipcs" + role), so a process that rebuilds it from a pickle (spawn, forkserver)
knows it is one of ours; the channel id is "sem:<that name>", the same in every process (a fork-context
semaphore is unlinked at once, but its name is still the one it was made with).

Roles of a marked semaphore:
    L  a Lock / RLock / Semaphore / BoundedSemaphore made by the user (acquire/release reported)
    C  the RLock a user's Condition made for itself (acquire/release reported on the Condition's channel)
    E  the flag semaphore of a user's Event (its set/clear/wait are reported, not the semaphore)
    B  the lock of a user's Barrier's condition (its wait is reported)
"""
import os
import sys
from _thread import get_native_id
from time import monotonic_ns

from .. import protocol
from . import _OURS, _is_internal, hide, user_location

MARK = ".ipcs"
_emit = None
_CONTEXT_FILE = None
_INIT_CODES = frozenset()


def _creator(f):
    """The first frame from f up that is not a SemLock constructor, context.py or ours."""
    while f is not None:
        code = f.f_code
        if code not in _INIT_CODES and code.co_filename != _CONTEXT_FILE and not code.co_filename.startswith(_OURS):
            return f
        f = f.f_back
    return None


def _role(kind: int, maxvalue: int):
    """Decides, from who is constructing it, whether a new SemLock is the user's (and as what)."""
    from multiprocessing import synchronize as s

    f = _creator(sys._getframe(2))
    if f is None:
        return None
    code = f.f_code
    if code is original_condition_init.__code__:
        if kind != s.RECURSIVE_MUTEX:
            return None  # the condition's counting semaphores
        g = _creator(f.f_back)
        if g is None:
            return None
        if g.f_code is original_barrier_init.__code__:
            h = _creator(g.f_back)
            return "B" if h is not None and not _is_internal(h.f_code.co_filename) else None
        if g.f_code is original_event_init.__code__:
            return None
        return "C" if not _is_internal(g.f_code.co_filename) else None
    if code is original_event_init.__code__:
        if maxvalue == 1:
            return None  # the event's lock
        g = _creator(f.f_back)
        return "E" if g is not None and not _is_internal(g.f_code.co_filename) else None
    if _is_internal(code.co_filename):
        return None
    return "L"


# -- SemLock -------------------------------------------------------------------------------------

_INODE_READS_MAX = 128  # each scan of /proc/self/maps (the fallback) is longer by a line per semaphore
_inode_reads = 0
try:
    _PAGE = os.sysconf("SC_PAGE_SIZE")
except (AttributeError, ValueError, OSError):
    _PAGE = 4096


def _sem_inode(sl):
    """The inode of the /dev/shm file the semaphore is mapped from, or None. The kernel's view names a
    semaphore by the temporary file glibc made it in, not by its name: the inode joins the two. Read
    once, when the user's code makes the lock (its sem_t is at sl.handle)."""
    return sem_inodes([sl])[0]


def sem_inodes(semlocks) -> list:
    """_sem_inode of each SemLock (None where not found). glibc maps a named semaphore alone, one page
    from its sem_t, so /proc/self/map_files names that mapping: one stat (~5 µs). Where that cannot be
    read, one scan of /proc/self/maps for them all, for the first _INODE_READS_MAX scans of a process
    only, so a program making thousands of locks pays nothing more."""
    global _inode_reads
    found = [None] * len(semlocks)
    left = []
    for i, sl in enumerate(semlocks):
        try:
            h = sl.handle
            found[i] = os.stat(f"/proc/self/map_files/{h:x}-{h + _PAGE:x}").st_ino
        except Exception:
            left.append(i)
    if not left or _inode_reads >= _INODE_READS_MAX:
        return found
    _inode_reads += 1
    try:
        addrs = [(i, semlocks[i].handle) for i in left]
        with open("/proc/self/maps", "rb") as f:
            for line in f:
                if b"/dev/shm/" not in line:
                    continue
                cols = line.split(None, 5)
                lo, hi = cols[0].split(b"-")
                lo, hi = int(lo, 16), int(hi, 16)
                for i, addr in addrs:
                    if lo <= addr < hi:
                        found[i] = int(cols[4])
    except Exception:
        pass
    return found


def _marked_namer(obj, role):
    def make_name():
        try:
            name = original_make_name() + MARK + role
            obj._ipcscope_name = name
            return name
        except BaseException as e:
            hide(e)
            raise
    return make_name


def semlock_init(self, kind, value, maxvalue, *, ctx):
    try:
        try:
            role = _role(kind, maxvalue)
        except Exception:
            role = None
        if role is None:
            return original_semlock_init(self, kind, value, maxvalue, ctx=ctx)
        # An instance attribute shadows the static method for this construction only.
        self._make_name = _marked_namer(self, role)
        try:
            original_semlock_init(self, kind, value, maxvalue, ctx=ctx)
        finally:
            self.__dict__.pop("_make_name", None)
        if role == "L":
            try:
                sl = self._semlock
                _emit(protocol.EV_SYNC_NEW, self._ipcscope_ch, user_location(),
                      x={"type": type(self).__name__, "value": sl._get_value(), "maxvalue": sl.maxvalue, "inode": _sem_inode(sl)})
            except Exception:
                pass
    except BaseException as e:
        hide(e)
        raise


def semlock_make_methods(self):
    try:
        original_make_methods(self)
        try:
            name = self.__dict__.get("_ipcscope_name") or self._semlock.name
            if name is None:
                return
            at = name.rfind(MARK)
            if at < 0:
                return
            role = name[at + len(MARK):]
            self._ipcscope_ch = "sem:" + name
            self._ipcscope_role = role
            if role in ("L", "C"):
                _wrap(self, self._ipcscope_ch)
        except Exception:
            pass
    except BaseException as e:
        hide(e)
        raise


def _wrap(obj, ch):
    sl = obj._semlock
    raw_acquire = sl.acquire
    raw_release = sl.release
    value = sl._get_value
    emit = _emit

    def acquire(block=True, timeout=None):
        try:
            if raw_acquire(False):
                try:
                    emit(protocol.EV_SYNC_ACQUIRE, ch, user_location(), x={"value": value(), "waitedNs": 0})
                except Exception:
                    pass
                return True
            if not block:
                return False
            t0 = monotonic_ns()
            try:
                # tid: the server joins the wait with the thread the kernel shows asleep on the semaphore.
                emit(protocol.EV_SYNC_BLOCK, ch, user_location(), x={"value": value(), "tid": get_native_id()}, ts=t0)
            except Exception:
                pass
            got = raw_acquire(True, timeout)
            try:
                t1 = monotonic_ns()
                if got:
                    emit(protocol.EV_SYNC_ACQUIRE, ch, user_location(), x={"value": value(), "waitedNs": t1 - t0}, ts=t1)
                else:
                    emit(protocol.EV_SYNC_OP, ch, user_location(), x={"op": "timeout"}, ts=t1)
            except Exception:
                pass
            return got
        except BaseException as e:
            hide(e)
            raise

    def release():
        try:
            raw_release()
            try:
                emit(protocol.EV_SYNC_RELEASE, ch, user_location(), x={"value": value()})
            except Exception:
                pass
        except BaseException as e:
            hide(e)
            raise

    obj.acquire = acquire
    obj.release = release


def semlock_enter(self):
    # As SemLock.__enter__ (the C __enter__ is acquire()), through the instance's acquire: a user
    # lock's `with` is seen, an internal one still calls the C method directly.
    try:
        return self.acquire()
    except BaseException as e:
        hide(e)
        raise


def semlock_exit(self, *args):
    try:
        return self.release()
    except BaseException as e:
        hide(e)
        raise


# -- Condition / Event / Barrier -------------------------------------------------------------------

def _op(ch, op, flag=None, ts=None):
    x = {"op": op} if flag is None else {"op": op, "flag": flag}
    _emit(protocol.EV_SYNC_OP, ch, user_location(3), x=x, ts=ts)


def _cond_ch(cond):
    lock = cond.__dict__.get("_lock")
    if lock is None or lock.__dict__.get("_ipcscope_role") not in ("L", "C"):
        return None
    return lock._ipcscope_ch


def condition_init(self, *args, **kwargs):
    try:
        original_condition_init(self, *args, **kwargs)
        try:
            lock = self._lock
            if lock.__dict__.get("_ipcscope_role") == "C":
                _emit(protocol.EV_SYNC_NEW, lock._ipcscope_ch, user_location(),
                      x={"type": "Condition", "value": lock._semlock._get_value(), "maxvalue": 1, "inode": _sem_inode(lock._semlock)})
        except Exception:
            pass
    except BaseException as e:
        hide(e)
        raise


def condition_wait(self, timeout=None):
    try:
        ch = None
        try:
            ch = _cond_ch(self)
            if ch is not None:
                _op(ch, "wait")
        except Exception:
            pass
        r = original_condition_wait(self, timeout)
        if ch is not None and not r:
            try:
                _op(ch, "timeout")
            except Exception:
                pass
        return r
    except BaseException as e:
        hide(e)
        raise


def condition_notify(self, n=1):
    try:
        try:
            ch = _cond_ch(self)
            if ch is not None:
                _op(ch, "notify_all" if n >= sys.maxsize else "notify")
        except Exception:
            pass
        return original_condition_notify(self, n)
    except BaseException as e:
        hide(e)
        raise


def _event_ch(ev):
    flag = ev.__dict__.get("_flag")
    if flag is None or flag.__dict__.get("_ipcscope_role") != "E":
        return None
    return flag._ipcscope_ch


def event_init(self, *args, **kwargs):
    try:
        original_event_init(self, *args, **kwargs)
        try:
            ch = _event_ch(self)
            if ch is not None:
                _emit(protocol.EV_SYNC_NEW, ch, user_location(), x={"type": "Event", "value": 0, "maxvalue": 1})
        except Exception:
            pass
    except BaseException as e:
        hide(e)
        raise


def event_set(self):
    try:
        original_event_set(self)
        try:
            ch = _event_ch(self)
            if ch is not None:
                _op(ch, "set", True)
        except Exception:
            pass
    except BaseException as e:
        hide(e)
        raise


def event_clear(self):
    try:
        original_event_clear(self)
        try:
            ch = _event_ch(self)
            if ch is not None:
                _op(ch, "clear", False)
        except Exception:
            pass
    except BaseException as e:
        hide(e)
        raise


def event_wait(self, timeout=None):
    try:
        ch = None
        try:
            ch = _event_ch(self)
            if ch is not None:
                _op(ch, "wait", self._flag._semlock._get_value() > 0)
        except Exception:
            pass
        r = original_event_wait(self, timeout)
        if ch is not None and not r:
            try:
                _op(ch, "timeout", False)
            except Exception:
                pass
        return r
    except BaseException as e:
        hide(e)
        raise


def _barrier_ch(b):
    try:
        lock = b._cond._lock
    except AttributeError:
        return None
    if lock.__dict__.get("_ipcscope_role") != "B":
        return None
    return lock._ipcscope_ch


def barrier_init(self, *args, **kwargs):
    try:
        original_barrier_init(self, *args, **kwargs)
        try:
            ch = _barrier_ch(self)
            if ch is not None:
                _emit(protocol.EV_SYNC_NEW, ch, user_location(), x={"type": "Barrier", "value": 0, "maxvalue": self._parties})
        except Exception:
            pass
    except BaseException as e:
        hide(e)
        raise


try:
    from threading import BrokenBarrierError  # loaded already by multiprocessing.synchronize
except ImportError:  # pragma: no cover
    BrokenBarrierError = RuntimeError


def barrier_wait(self, timeout=None):
    try:
        ch = None
        try:
            ch = _barrier_ch(self)
            if ch is not None:
                _op(ch, "wait")
        except Exception:
            pass
        try:
            return original_barrier_wait(self, timeout)
        except BrokenBarrierError:
            if ch is not None:
                try:
                    _op(ch, "timeout")
                except Exception:
                    pass
            raise
    except BaseException as e:
        hide(e)
        raise


original_semlock_init = None
original_make_methods = None
original_make_name = None
original_semlock_enter = None
original_semlock_exit = None
original_condition_init = None
original_condition_wait = None
original_condition_notify = None
original_event_init = None
original_event_set = None
original_event_clear = None
original_event_wait = None
original_barrier_init = None
original_barrier_wait = None


def install(transport) -> None:
    """Never raises: a platform without sem_open simply goes unhooked."""
    global _emit, _CONTEXT_FILE, _INIT_CODES
    global original_semlock_init, original_make_methods, original_make_name, original_semlock_enter, original_semlock_exit
    global original_condition_init, original_condition_wait, original_condition_notify
    global original_event_init, original_event_set, original_event_clear, original_event_wait
    global original_barrier_init, original_barrier_wait
    try:
        from multiprocessing import context, synchronize as s
    except Exception:
        return
    if s.SemLock.__init__ is semlock_init:
        return  # already installed
    try:
        _emit = transport.emit
        _CONTEXT_FILE = context.__file__
        original_semlock_init = s.SemLock.__init__
        original_make_methods = s.SemLock._make_methods
        original_make_name = s.SemLock._make_name
        original_semlock_enter = s.SemLock.__enter__
        original_semlock_exit = s.SemLock.__exit__
        original_condition_init = s.Condition.__init__
        original_condition_wait = s.Condition.wait
        original_condition_notify = s.Condition.notify
        original_event_init = s.Event.__init__
        original_event_set = s.Event.set
        original_event_clear = s.Event.clear
        original_event_wait = s.Event.wait
        original_barrier_init = s.Barrier.__init__
        original_barrier_wait = s.Barrier.wait
        _INIT_CODES = frozenset(c.__init__.__code__ for c in (s.Lock, s.RLock, s.Semaphore, s.BoundedSemaphore)) | {
            original_semlock_init.__code__}

        s.SemLock.__init__ = semlock_init
        s.SemLock._make_methods = semlock_make_methods
        s.SemLock.__enter__ = semlock_enter
        s.SemLock.__exit__ = semlock_exit
        s.Condition.__init__ = condition_init
        s.Condition.wait = condition_wait
        s.Condition.notify = condition_notify
        s.Event.__init__ = event_init
        s.Event.set = event_set
        s.Event.clear = event_clear
        s.Event.wait = event_wait
        s.Barrier.__init__ = barrier_init
        s.Barrier.wait = barrier_wait
    except Exception:
        pass
