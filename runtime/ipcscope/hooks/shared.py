"""Shared state: multiprocessing Value / Array / RawValue / RawArray, SharedMemory / ShareableList, mmap.

Channel ids (the same in every process that holds the object, fork, spawn or forkserver):
    shared:<arena inode>:<offset>   a sharedctypes object: the inode of the arena's (unlinked) temp file
                                    and the object's offset in it; a spawned child rebuilds the object
                                    from the same arena (rebuild_ctype, hooked) and knows the same id.
    shm:<name>                      a SharedMemory or ShareableList (its name, without the leading "/").
    mmap:<file inode>               an mmap of a file at offset 0 ("mmap:<inode>:<offset>" at another offset),
    mmap:anon:<pid>:<address>       an anonymous shared mmap (pid of its creator, address of the mapping;
                                    a forked child holds the same mapping at the same address).

What is seen:
    shared.new    at creation (in the process that creates it; SharedMemory / ShareableList also in each
                  process that attaches by name): pv the current contents (IMAGE_BYTES at most),
                  x {type, typecode, length, itemsize, lock, name?, create?}, size = bytes.
    shared.write  every write through a synchronized wrapper (Synchronized.value, SynchronizedArray[i] and
                  slices, SynchronizedString.value / .raw) and ShareableList[i] = v: pv the bytes written,
                  x {offset (bytes into the object), index (element), value (number, or short text)}.
                  The event's time is taken inside the wrapper's lock, so time order is write order.
    shared.image  contents nobody can see written (RawValue / RawArray / lock=False objects, shm.buf,
                  mmap) are sampled in the sender thread every SAMPLE_MS and at exit, and sent when they
                  changed; SharedMemory.close() / unlink() and mmap close() / the end of its with block
                  send a last one (with the line). pv IMAGE_BYTES at most, x {offset: 0}. The time is
                  taken before reading: an image holds every write made before that time.

Each module is hooked when the program imports it (multiprocessing.sharedctypes pulls in ctypes and
shared_memory pulls in hashlib: a process that uses neither does not pay for them). Nothing here pickles
or reprs user objects; the values sent are the numbers and bytes read back from shared memory.
"""
import os
import sys
from _thread import _local as _thread_local
from _weakref import ref as _weak
from time import monotonic_ns

from .. import debug, protocol
from . import hide, user_location, when_imported

IMG = protocol.IMAGE_BYTES
EV_SHARED_WRITE = protocol.EV_SHARED_WRITE
TEXT = 64  # characters of a char value sent as x.value
# Frames in multiprocessing's files are its own (its arenas and SharedMemory make mmaps for themselves).
_MP_DIR = os.path.join(os.path.dirname(os.path.abspath(os.__file__)), "multiprocessing") + os.sep

_transport = None
_emit = None
_local = _thread_local()  # .creating: inside Value()/Array()/…; .inner: inside ShareableList()
_entries = []  # what the sampler reads
_sampling = False  # _sample registered with the transport (the registration survives fork)


def _value(v):
    """x.value: numbers as they are, chars as short text, anything else None."""
    t = type(v)
    if t is int or t is float or t is bool:
        return v
    if t is bytes:
        return v[:TEXT].decode("latin-1")
    if t is str:
        return v[:TEXT]
    return None


# ---- sampling ---------------------------------------------------------------------------------


class _Watched:
    """One object the sampler reads: read() returns its first bytes, or None when it is gone."""

    __slots__ = ("ch", "size", "last", "read")

    def __init__(self, ch, size, last, read):
        self.ch = ch
        self.size = size
        self.last = last
        self.read = read


def _watch(entry) -> None:
    global _sampling
    _entries.append(entry)
    if not _sampling:
        _sampling = True
        _transport.add_sampler(_sample)


def _sample() -> None:
    """In the sender thread every SAMPLE_MS, and at exit: an image of whatever changed."""
    for e in tuple(_entries):
        ts = monotonic_ns()
        try:
            data = e.read()
        except Exception:
            data = None
        if data is None:
            try:
                _entries.remove(e)
            except ValueError:
                pass
        elif data != e.last:
            e.last = data
            _emit(protocol.EV_SHARED_IMAGE, e.ch, None, e.size, data, "bytes", {"offset": 0}, ts)


def _after_fork_in_child() -> None:
    # The transport keeps its samplers across fork but starts its thread only at the first emit: a
    # child that only writes shm.buf or a RawArray would never be sampled. Registering again starts it.
    if not (_sampling and _entries):
        return
    try:
        samplers = getattr(_transport, "samplers", None)
        if samplers is not None and _sample in samplers:
            samplers.remove(_sample)
        _transport.add_sampler(_sample)
    except Exception:
        pass


# ---- multiprocessing.sharedctypes ------------------------------------------------------------


def _annotate(obj, wrapper) -> None:
    """obj._ipcscope = (channel, arena mmap, offset in it, size, itemsize, end of its image in the arena,
    bytes of an element sent), computed once per object: a write needs one attribute lookup."""
    (arena, start, _stop), size = wrapper._state
    ino = arena.__dict__.get("_ipcscope_ino")
    if ino is None:
        ino = arena._ipcscope_ino = os.fstat(arena.fd).st_ino
    itemsize = _ctypes.sizeof(obj._type_) if isinstance(obj, _ctypes.Array) else size
    obj._ipcscope = (f"shared:{ino}:{start}", arena.buffer, start, size, itemsize, start + min(size, IMG), min(itemsize, IMG))


def _watch_ctype(obj) -> None:
    ch, buf, start, size, _, end, _ = obj._ipcscope
    ref = _weak(obj)

    def read():
        o = ref()
        if o is None or "_ipcscope_locked" in o.__dict__:
            return None  # gone, or a synchronized wrapper took it: its writes are seen
        return buf[start:end]

    _watch(_Watched(ch, size, buf[start:end], read))


def _created(result, kind: str, typecode) -> None:
    """shared.new for what Value()/Array()/RawValue()/RawArray()/copy() returned."""
    obj = getattr(result, "_obj", result) if isinstance(result, _SynchronizedBase) else result
    ch, buf, start, size, itemsize, end, _ = obj._ipcscope
    locked = obj is not result
    if not isinstance(typecode, str):
        t = type(obj)._type_ if isinstance(obj, _ctypes.Array) else type(obj)
        typecode = getattr(t, "_type_", "")
        if not isinstance(typecode, str):
            typecode = ""
    length = len(obj) if isinstance(obj, _ctypes.Array) else 1
    x = {"type": kind, "typecode": typecode, "length": length, "itemsize": itemsize, "lock": locked}
    _emit(protocol.EV_SHARED_NEW, ch, user_location(3), size, buf[start:end], "bytes", x)
    if not locked:
        _watch_ctype(obj)


def _like(f, orig):
    """f takes orig's name, module, doc and signature (pickling by reference finds f under orig's name)."""
    for a in ("__module__", "__name__", "__qualname__", "__doc__"):
        try:
            setattr(f, a, getattr(orig, a))
        except (AttributeError, TypeError):
            pass
    f.__wrapped__ = orig
    return f


def _creating(fn, kind, typecode_arg=True):
    """Wraps a creating function: objects made inside it are reported once, by the outermost call."""

    def create(*args, **kwargs):
        try:
            depth = getattr(_local, "creating", 0)
            _local.creating = depth + 1
            try:
                result = fn(*args, **kwargs)
            finally:
                _local.creating = depth
            if not depth:
                try:
                    _created(result, kind(result) if callable(kind) else kind, args[0] if typecode_arg and args else None)
                except Exception:
                    pass
            return result
        except BaseException as e:
            hide(e)
            raise

    return _like(create, fn)


def _string_write(obj, n, text):
    ch, buf, start, size = obj._ipcscope[:4]
    n = min(n, size)
    return ch, buf[start:start + min(n, IMG)], n, {"offset": 0, "index": 0, "value": text}


def _array_write(obj, i):
    """The write of obj[i] = … just made (i not an int: slices, numpy integers)."""
    ch, buf, start, size, itemsize, _, ipv = obj._ipcscope
    n = size // itemsize if itemsize else 0
    if isinstance(i, slice):
        r = range(*i.indices(n))
        if not r:
            return None
        lo, hi = (r[0], r[-1] + 1) if r.step > 0 else (r[-1], r[0] + 1)
        off, end = lo * itemsize, hi * itemsize
        x = {"offset": off, "index": lo}
        if hi - lo == 1:
            x["value"] = _value(obj[lo])
        elif itemsize == 1 and r.step == 1 and type(obj)._type_ is _ctypes.c_char:
            x["value"] = _value(obj[lo:min(hi, lo + TEXT)])
        return ch, buf[start + off:start + min(end, off + IMG)], end - off, x
    i = i.__index__()
    if i < 0:
        i += n
    off = start + i * itemsize
    return ch, buf[off:off + ipv], itemsize, {"offset": off - start, "index": i, "value": _value(obj[i])}


def _send_write(w, loc, ts) -> None:
    ch, pv, size, x = w
    _emit(protocol.EV_SHARED_WRITE, ch, loc, size, pv, "bytes", x, ts)


def _hook_sharedctypes(sc) -> None:
    global _ctypes, _SynchronizedBase
    import ctypes

    _ctypes = ctypes
    _SynchronizedBase = sc.SynchronizedBase
    g = globals()
    g["original_rebuild_ctype"] = original_rebuild_ctype = sc.rebuild_ctype
    g["original_RawValue"] = sc.RawValue
    g["original_RawArray"] = sc.RawArray
    g["original_Value"] = sc.Value
    g["original_Array"] = sc.Array
    g["original_copy"] = sc.copy
    g["original_base_init"] = original_base_init = sc.SynchronizedBase.__init__
    value_prop = sc.Synchronized.__dict__["value"]
    string_value_prop = sc.SynchronizedString.__dict__["value"]
    string_raw_prop = sc.SynchronizedString.__dict__["raw"]
    g["original_array_setitem"] = original_array_setitem = sc.SynchronizedArray.__setitem__

    # Same name and module as the original: reduce_ctype pickles it by reference, and a process
    # without the runtime resolves that name to the original.
    def rebuild_ctype(type_, wrapper, length):
        try:
            obj = original_rebuild_ctype(type_, wrapper, length)
            try:
                _annotate(obj, wrapper)
                if not getattr(_local, "creating", 0):
                    # Unpickled here (spawn / forkserver child): sampled as raw until a wrapper claims it.
                    _watch_ctype(obj)
            except Exception:
                pass
            return obj
        except BaseException as e:
            hide(e)
            raise

    def base_init(self, obj, lock=None, ctx=None):
        try:
            original_base_init(self, obj, lock, ctx)
            try:
                obj._ipcscope_locked = True
            except Exception:
                pass
        except BaseException as e:
            hide(e)
            raise

    # The hot path (money.value += 1): one attribute lookup, a slice of the arena, one emit. The time is
    # taken inside the lock, so ordering writes by time orders them as they were made.
    def value_set(self, value):
        try:
            loc = user_location()
            watched = debug.armed
            if watched and loc is not None:
                debug.gate("write", getattr(self._obj, "_ipcscope", ("",))[0], value, loc)
            self.acquire()
            try:
                obj = self._obj
                if watched:
                    old = obj.value
                obj.value = value
                try:
                    ch, buf, start, size, _, end, _ = obj._ipcscope
                    pv = buf[start:end]
                    v = obj.value
                    ts = monotonic_ns()
                except Exception:
                    ch = None
            finally:
                self.release()
            if ch is not None:
                try:
                    t = type(v)
                    if t is bytes or t is str:
                        v = _value(v)
                    _emit(EV_SHARED_WRITE, ch, loc, size, pv, "bytes", {"offset": 0, "index": 0, "value": v}, ts)
                    if watched and old != v and loc is not None:
                        # After the write, outside the lock: a data breakpoint sees the new value.
                        debug.gate("change", ch, v, loc, {"index": 0, "old": old, "new": v})
                except Exception:
                    pass
        except BaseException as e:
            hide(e)
            raise

    def string_value_set(self, value):
        try:
            loc = user_location()
            self.acquire()
            try:
                obj = self._obj
                obj.value = value
                try:
                    w = _string_write(obj, len(value) + 1, _value(value))
                    ts = monotonic_ns()
                except Exception:
                    w = None
            finally:
                self.release()
            if w is not None:
                try:
                    _send_write(w, loc, ts)
                except Exception:
                    pass
        except BaseException as e:
            hide(e)
            raise

    def string_raw_set(self, value):
        try:
            loc = user_location()
            self.acquire()
            try:
                obj = self._obj
                obj.raw = value
                try:
                    w = _string_write(obj, len(value), _value(bytes(value[:TEXT])))
                    ts = monotonic_ns()
                except Exception:
                    w = None
            finally:
                self.release()
            if w is not None:
                try:
                    _send_write(w, loc, ts)
                except Exception:
                    pass
        except BaseException as e:
            hide(e)
            raise

    def array_setitem(self, i, value):
        try:
            loc = user_location()
            watched = debug.armed and type(i) is int
            if watched and loc is not None:
                debug.gate("write", getattr(self._obj, "_ipcscope", ("",))[0], value, loc, {"index": i})
            with self:
                obj = self._obj
                if watched:
                    old = obj[i]
                obj[i] = value
                try:
                    if type(i) is int:
                        ch, buf, start, size, itemsize, _, ipv = obj._ipcscope
                        if i < 0:
                            i += size // itemsize
                        off = start + i * itemsize
                        w = (ch, buf[off:off + ipv], itemsize, {"offset": off - start, "index": i, "value": obj[i]})
                    else:
                        w = _array_write(obj, i)
                    ts = monotonic_ns()
                except Exception:
                    w = None
            if w is not None:
                try:
                    x = w[3]
                    v = x.get("value")
                    if type(v) is bytes or type(v) is str:
                        x["value"] = _value(v)
                    _emit(EV_SHARED_WRITE, w[0], loc, w[2], w[1], "bytes", x, ts)
                    if watched and loc is not None and old != v:
                        debug.gate("change", w[0], v, loc, {"index": x.get("index", 0), "old": old, "new": v})
                except Exception:
                    pass
        except BaseException as e:
            hide(e)
            raise

    _like(rebuild_ctype, original_rebuild_ctype)
    _like(array_setitem, original_array_setitem)
    _like(base_init, original_base_init)
    sc.rebuild_ctype = rebuild_ctype
    sc.RawValue = _creating(sc.RawValue, "RawValue")
    sc.RawArray = _creating(sc.RawArray, "RawArray")
    sc.Value = _creating(sc.Value, "Value")
    sc.Array = _creating(sc.Array, "Array")
    sc.copy = _creating(sc.copy, lambda r: "RawArray" if isinstance(r, ctypes.Array) else "RawValue", False)
    sc.SynchronizedBase.__init__ = base_init
    sc.Synchronized.value = property(value_prop.fget, value_set, value_prop.fdel, value_prop.__doc__)
    sc.SynchronizedString.value = property(string_value_prop.fget, string_value_set, string_value_prop.fdel, string_value_prop.__doc__)
    sc.SynchronizedString.raw = property(string_raw_prop.fget, string_raw_set, string_raw_prop.fdel, string_raw_prop.__doc__)
    sc.SynchronizedArray.__setitem__ = array_setitem


_ctypes = None
_SynchronizedBase = ()


# ---- multiprocessing.shared_memory -----------------------------------------------------------


def _shm_reader(ref, n):
    def read():
        s = ref()
        if s is None:
            return None
        m = s._mmap
        if m is None or m.closed:
            return None
        fd = s._fd
        if fd >= 0 and os.fstat(fd).st_size < n:
            return None  # truncated under us: reading would be SIGBUS
        return m[:n]

    return read


def _shm_opened(shm, create) -> None:
    ch = shm._ipcscope_ch = "shm:" + shm.name
    size = shm.size
    n = min(size, IMG)
    ts = monotonic_ns()  # before reading: others may be writing it already
    pv = shm._mmap[:n]
    entry = shm._ipcscope_entry = _Watched(ch, size, pv, _shm_reader(_weak(shm), n))
    _watch(entry)
    if not getattr(_local, "inner", 0):
        x = {"type": "SharedMemory", "typecode": "", "length": size, "itemsize": 1, "lock": False, "name": shm.name, "create": bool(create)}
        _emit(protocol.EV_SHARED_NEW, ch, user_location(3), size, pv, "bytes", x, ts)


def _shm_last_image(shm) -> None:
    """At close()/unlink(): the contents now, sent even when unchanged (the last word on them)."""
    entry = shm.__dict__.get("_ipcscope_entry")
    m = shm._mmap
    if entry is None or m is None or m.closed:
        return
    ts = monotonic_ns()
    data = entry.read()
    if data is not None:
        entry.last = data
        _emit(protocol.EV_SHARED_IMAGE, entry.ch, user_location(3), entry.size, data, "bytes", {"offset": 0}, ts)


def _hook_shared_memory(sm) -> None:
    g = globals()
    SharedMemory, ShareableList = sm.SharedMemory, sm.ShareableList
    g["original_shm_init"] = original_shm_init = SharedMemory.__init__
    g["original_shm_close"] = original_shm_close = SharedMemory.close
    g["original_shm_unlink"] = original_shm_unlink = SharedMemory.unlink
    g["original_sl_init"] = original_sl_init = ShareableList.__init__
    g["original_sl_setitem"] = original_sl_setitem = ShareableList.__setitem__
    # close() also runs from SharedMemory.__del__, perhaps late at shutdown: it needs nothing from
    # this module's globals but the function it calls, held here.
    last_image = _shm_last_image

    def shm_init(self, name=None, create=False, size=0, **kwargs):
        try:
            original_shm_init(self, name, create, size, **kwargs)
            try:
                _shm_opened(self, create)
            except Exception:
                pass
        except BaseException as e:
            hide(e)
            raise

    def shm_close(self):
        try:
            try:
                last_image(self)
            except Exception:
                pass
            return original_shm_close(self)
        except BaseException as e:
            hide(e)
            raise

    def shm_unlink(self):
        try:
            try:
                last_image(self)
            except Exception:
                pass
            result = original_shm_unlink(self)
            try:  # after it succeeded: the leak report counts only real unlinks
                _emit(protocol.EV_SHM_UNLINK, "shm:" + self.name, user_location(), x={"name": self.name})
            except Exception:
                pass
            return result
        except BaseException as e:
            hide(e)
            raise

    def sl_init(self, *args, **kwargs):
        try:
            _local.inner = getattr(_local, "inner", 0) + 1
            try:
                original_sl_init(self, *args, **kwargs)
            finally:
                _local.inner -= 1
            try:
                shm = self.shm
                entry = shm._ipcscope_entry
                ts = monotonic_ns()
                data = entry.read()
                if data is not None:
                    entry.last = data
                sequence = args[0] if args else kwargs.get("sequence")
                x = {"type": "ShareableList", "typecode": "", "length": shm.size, "itemsize": 1, "lock": False,
                     "name": shm.name, "create": sequence is not None or kwargs.get("name") is None, "items": self._list_len}
                _emit(protocol.EV_SHARED_NEW, shm._ipcscope_ch, user_location(), shm.size, data or b"", "bytes", x, ts)
            except Exception:
                pass
        except BaseException as e:
            hide(e)
            raise

    def sl_setitem(self, position, value):
        try:
            original_sl_setitem(self, position, value)
            try:
                pos = position if position >= 0 else position + self._list_len
                base = self._offset_data_start
                offsets = self._allocated_offsets
                start, end = base + offsets[pos], base + offsets[pos + 1]
                pv = self.shm._mmap[start:min(end, start + IMG)]
                x = {"offset": start, "index": pos, "value": _value(value)}
                _emit(protocol.EV_SHARED_WRITE, self.shm._ipcscope_ch, user_location(), end - start, pv, "bytes", x)
            except Exception:
                pass
        except BaseException as e:
            hide(e)
            raise

    for f, orig in ((shm_init, original_shm_init), (shm_close, original_shm_close), (shm_unlink, original_shm_unlink),
                    (sl_init, original_sl_init), (sl_setitem, original_sl_setitem)):
        _like(f, orig)
    SharedMemory.__init__ = shm_init
    SharedMemory.close = shm_close
    SharedMemory.unlink = shm_unlink
    ShareableList.__init__ = sl_init
    ShareableList.__setitem__ = sl_setitem


# ---- mmap -------------------------------------------------------------------------------------
#
# mmap.mmap is a C type whose methods cannot be patched, and writes through it (m[i] = …, slices,
# write(), buffers of it) cannot be seen at all: an mmap is reported when made and then sampled.
# To see it made, mmap.mmap is replaced by a subclass whose __new__ reports the new map.
#   Kept: isinstance(m, mmap.mmap) (also for the original type), type(m) is mmap.mmap, type(m).__name__,
#   repr(m) and the error pickling it raises (both say "mmap.mmap"), subclassing mmap.mmap, every method,
#   the buffer protocol, weak references, and the cost of using a map (only creation, close() and the
#   end of a with block run Python code: the last two send a last image of the contents).
#   Changed: type(m) is not the C type (code that kept the original type before the runtime started, or
#   C code checking the exact type, would see a subclass), mmap.mmap.__mro__ has one more class, and
#   dir(m) shows one more attribute (_ipcscope).
# We judge that safe enough for what it shows. Maps made by multiprocessing itself (the arenas behind
# Value/Array, SharedMemory's own map) are reported as what they are, not as mmaps; private maps
# (MAP_PRIVATE, ACCESS_COPY) are nobody else's and are not reported.


def _mmap_address(m):
    try:
        import ctypes

        c = ctypes.c_char.from_buffer(m)  # m was made a moment ago: nobody else can close it meanwhile
        try:
            return ctypes.addressof(c)
        finally:
            del c
    except Exception:
        return id(m)


def _mmap_created(mm, m, args, kwargs) -> None:
    def arg(i, name, default):
        return args[i] if len(args) > i else kwargs.get(name, default)

    fileno = arg(0, "fileno", -1)
    flags = arg(2, "flags", mm.MAP_SHARED)
    access = arg(4, "access", mm.ACCESS_DEFAULT)
    offset = arg(5, "offset", 0)
    if access == mm.ACCESS_COPY or (access == mm.ACCESS_DEFAULT and flags & getattr(mm, "MAP_PRIVATE", 0)):
        return
    size = len(m)
    x = {"type": "mmap", "typecode": "", "length": size, "itemsize": 1, "lock": False}
    if fileno == -1:
        ch = f"mmap:anon:{os.getpid()}:{_mmap_address(m)}"
        fd = -1
    else:
        ch = f"mmap:{os.fstat(fileno).st_ino}" + (f":{offset}" if offset else "")
        try:
            x["name"] = os.readlink(f"/proc/self/fd/{fileno}")
        except OSError:
            pass
        fd = fileno
    n = min(size, IMG)
    ts = monotonic_ns()  # before reading: others may be writing the file already
    pv = m[:n]
    _emit(protocol.EV_SHARED_NEW, ch, user_location(3), size, pv, "bytes", x, ts)
    ref = _weak(m)
    need = offset + n

    def read():
        o = ref()
        if o is None or o.closed:
            return None
        if fd >= 0:
            try:
                short = o.size() < need  # the file's size now (fstat of the map's own descriptor)
            except OSError:
                short = False  # no descriptor kept (trackfd=False)
            if short:
                return None  # the file was cut short: reading the map would be SIGBUS
        return o[:n]

    m._ipcscope = entry = _Watched(ch, size, pv, read)
    _watch(entry)


def _mmap_last_image(m) -> None:
    """At close() / the end of a with block: the contents now, even when unchanged."""
    entry = getattr(m, "_ipcscope", None)
    if entry is None or m.closed:
        return
    ts = monotonic_ns()
    data = entry.read()
    if data is not None:
        entry.last = data
        _emit(protocol.EV_SHARED_IMAGE, entry.ch, user_location(3), entry.size, data, "bytes", {"offset": 0}, ts)


def _hook_mmap(mm) -> None:
    global original_mmap
    original_mmap = orig = mm.mmap
    mp_dir = _MP_DIR
    created = _mmap_created
    last_image = _mmap_last_image

    class mmap(orig):
        __slots__ = ("_ipcscope",)  # what the sampler reads, when the map is reported
        __doc__ = orig.__doc__

        def __new__(cls, *args, **kwargs):
            try:
                m = orig.__new__(cls, *args, **kwargs)
                try:
                    if not sys._getframe(1).f_code.co_filename.startswith(mp_dir):
                        created(mm, m, args, kwargs)
                except Exception:
                    pass
                return m
            except BaseException as e:
                hide(e)
                raise

        def close(self):
            try:
                try:
                    last_image(self)
                except Exception:
                    pass
                return orig.close(self)
            except BaseException as e:
                hide(e)
                raise

        def __exit__(self, *args):
            try:
                try:
                    last_image(self)
                except Exception:
                    pass
                return orig.__exit__(self, *args)
            except BaseException as e:
                hide(e)
                raise

        def __repr__(self):
            try:
                r = orig.__repr__(self)
                if type(self) is mmap and r.startswith("<mmap "):
                    r = "<mmap.mmap " + r[6:]
                return r
            except BaseException as e:
                hide(e)
                raise

        def __reduce_ex__(self, protocol):
            try:
                if type(self) is mmap:
                    raise TypeError("cannot pickle 'mmap.mmap' object")
                return orig.__reduce_ex__(self, protocol)
            except BaseException as e:
                hide(e)
                raise

    mmap.__module__ = "mmap"
    mmap.__qualname__ = "mmap"
    mm.mmap = mmap


original_mmap = None


def _after_import(name, hook):
    return lambda: hook(sys.modules[name])


def install(transport) -> None:
    """Never raises. Each module is hooked once the program imports it (now, if it already has)."""
    global _transport, _emit
    try:
        _transport = transport
        _emit = transport.emit
        when_imported("mmap", _after_import("mmap", _hook_mmap))
        when_imported("multiprocessing.sharedctypes", _after_import("multiprocessing.sharedctypes", _hook_sharedctypes))
        when_imported("multiprocessing.shared_memory", _after_import("multiprocessing.shared_memory", _hook_shared_memory))
        os.register_at_fork(after_in_child=_after_fork_in_child)
    except Exception:
        pass
