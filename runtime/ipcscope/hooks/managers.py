"""multiprocessing.managers hooks: proxy calls (client side) and the referent's state (server side).

Client: BaseProxy._callmethod emits 'manager.call' on "manager:<address>:<object id>" with the
pickled arguments as preview. Server (the manager's process runs the runtime too): serve_client
talks through a tap on its connection; when a request that changes its object (append, __setitem__,
__setattr__, …) has run and its reply is about to go back, 'manager.state' carries the pickled object.
Objects are only pickled here, never unpickled.
"""
import os
import sys
import pickle

from .. import protocol
from ..sites import where
from . import _is_internal, hide

PV = protocol.PREVIEW_BYTES
# Pickling a big object after every change would make a loop of appends quadratic: above this many
# items the state preview is made from the first ones only (size is then -1: unknown).
FULL_STATE_ITEMS = 10_000
PARTIAL_ITEMS = 64

MUTATORS = frozenset((
    "append", "extend", "insert", "pop", "remove", "clear", "sort", "reverse", "__setitem__", "__delitem__",
    "__iadd__", "__imul__", "update", "setdefault", "popitem", "__setattr__", "__delattr__", "set",
    "add", "discard", "appendleft", "popleft", "extendleft", "rotate",
))

_emit = None


def _addr(address) -> str:
    if isinstance(address, tuple) and len(address) >= 2:
        return f"{address[0]}:{address[1]}"
    if isinstance(address, bytes):
        return os.fsdecode(address)
    return str(address)


def _location():
    """The user's line: skips the proxy methods multiprocessing generates with exec() ("<string>",
    with globals that have no __name__) besides the standard library and ipcscope."""
    try:
        f = sys._getframe(2)
    except ValueError:
        return None
    while f is not None:
        fn = f.f_code.co_filename
        if not (_is_internal(fn) or (fn == "<string>" and "__name__" not in f.f_globals)):
            return where(f.f_code, f.f_lasti)
        f = f.f_back
    return None


# -- client ----------------------------------------------------------------------------------------

def _pickled(obj):
    """(size, preview) of obj pickled as multiprocessing would. The memoryview ForkingPickler returns
    lives only in this frame: a BytesIO buffer caught in a reference cycle (the frame of a call that
    raised, in 3.12's _callmethod) crashes 3.12's garbage collector (CPython gh-111049)."""
    try:
        from multiprocessing.reduction import ForkingPickler

        buf = ForkingPickler.dumps(obj)
        try:
            return len(buf), bytes(buf[:PV])
        finally:
            buf.release()
    except Exception:
        return -1, b""


def callmethod(self, methodname, args=(), kwds={}):
    try:
        try:
            if methodname[:1] != "#":
                token = self._token
                ch = f"manager:{_addr(token.address)}:{token.id}"
                size, pv = _pickled(args if not kwds else (args, kwds))
                _emit(protocol.EV_MANAGER_CALL, ch, _location(), size, pv, "pickle" if pv else "",
                      {"typeid": token.typeid, "method": methodname})
        except Exception:
            pass
        return original_callmethod(self, methodname, args, kwds)
    except BaseException as e:
        hide(e)
        raise


# -- server ----------------------------------------------------------------------------------------

def _state_payload(obj):
    """(pickled bytes, size, length) of a referent as the panel should see it, or None."""
    from multiprocessing.managers import Namespace, Value

    if isinstance(obj, Namespace):
        obj = dict(vars(obj))
    elif isinstance(obj, Value):
        obj = obj.get()
    try:
        length = len(obj)
    except Exception:
        length = None
    if length is not None and length > FULL_STATE_ITEMS:
        if isinstance(obj, dict):
            part = dict(list(obj.items())[:PARTIAL_ITEMS])
        elif isinstance(obj, (list, tuple)):
            part = obj[:PARTIAL_ITEMS]
        else:
            return None
        return pickle.dumps(part)[:PV], -1, length
    data = pickle.dumps(obj)
    return data[:PV], len(data), length


def _emit_state(server, ident, typeid=None):
    try:
        entry = server.id_to_obj.get(ident) or getattr(server, "id_to_local_proxy_obj", {}).get(ident)
        if entry is None:
            return
        obj = entry[0]
        if typeid is None:
            typeid = getattr(server, "_ipcscope_typeids", {}).get(ident) or type(obj).__name__
        got = _state_payload(obj)
        if got is None:
            return
        pv, size, length = got
        _emit(protocol.EV_MANAGER_STATE, f"manager:{_addr(server.address)}:{ident}", None, size, pv, "pickle",
              {"typeid": typeid, "length": length})
    except Exception:
        pass


class _Tap:
    """The server's connection to one client, seen by serve_client: remembers the request so the
    reply can be preceded by the object's new state."""
    __slots__ = ("_conn", "_server", "_request")

    def __init__(self, server, conn):
        self._conn = conn
        self._server = server
        self._request = None

    def recv(self):
        try:
            self._request = None
            request = self._conn.recv()
            self._request = request
            return request
        except BaseException as e:
            hide(e)
            raise

    def send(self, msg):
        try:
            request = self._request
            self._request = None
            if request is not None:
                try:
                    if msg[0] == "#RETURN" and request[1] in MUTATORS:
                        _emit_state(self._server, request[0])
                except Exception:
                    pass
            return self._conn.send(msg)
        except BaseException as e:
            hide(e)
            raise

    def close(self):
        return self._conn.close()

    def __getattr__(self, name):
        return getattr(self._conn, name)


def serve_client(self, conn):
    try:
        try:
            tap = _Tap(self, conn)
        except Exception:
            tap = conn
        return original_serve_client(self, tap)
    except BaseException as e:
        hide(e)
        raise


def create(self, c, typeid, /, *args, **kwds):
    try:
        ident, exposed = original_create(self, c, typeid, *args, **kwds)
        try:
            types = self.__dict__.get("_ipcscope_typeids")
            if types is None:
                types = self._ipcscope_typeids = {}
            types[ident] = typeid
            _emit_state(self, ident, typeid)
        except Exception:
            pass
        return ident, exposed
    except BaseException as e:
        hide(e)
        raise


original_callmethod = None
original_serve_client = None
original_create = None


def install(transport) -> None:
    global _emit, original_callmethod, original_serve_client, original_create
    try:
        from multiprocessing import managers
    except Exception:
        return
    if managers.BaseProxy._callmethod is callmethod:
        return  # already installed
    try:
        _emit = transport.emit
        original_callmethod = managers.BaseProxy._callmethod
        original_serve_client = managers.Server.serve_client
        original_create = managers.Server.create
        managers.BaseProxy._callmethod = callmethod
        managers.Server.serve_client = serve_client
        managers.Server.create = create
    except Exception:
        pass
