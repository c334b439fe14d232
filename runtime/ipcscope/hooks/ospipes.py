"""os.pipe / os.mkfifo / socket.socketpair (and the user's TCP / Unix connections) hooks.

Pipes and FIFOs: the fds of a pipe the user's code makes (and of a FIFO it opens with os.open) are
remembered, so os.write / os.read on them report 'pipe.write' / 'pipe.read' with the bytes; os.read
and os.write on any other fd cost one dict lookup. os.close, os.closerange, os.dup, os.dup2 and
os.fdopen keep the table right; a forked child inherits it with the fds. (An fd closed some other
way, e.g. by a file object made with io.open(fd), and reused for something else, could be taken for
the pipe until os.close or a new os.pipe/os.open replaces it: checking with fstat on every read and
write would double their cost.)

Sockets: once the program has a socket worth watching (a socketpair end, a connection its code
made or accepted), socket.socket gets send / sendall / recv / recv_into that report only sockets in
that table; any other socket then costs a Python call and one dict lookup (nothing before that).
The hub's address is never tracked, so the transport is never reported or re-entered.
"""
import os
import stat
import sys

from .. import debug, protocol
from ..sites import where
from . import _OURS, _STDLIB, _is_internal, hide, user_location, when_imported

PV = protocol.PREVIEW_BYTES
_emit = None
_hub = None

_fds = {}  # fd -> (channel, inode)
_socks = {}  # id(sock) -> (weakref to it, channel, peer)

_MP = _STDLIB + "multiprocessing" + os.sep  # named, not imported
_SOCKET_FILE = _STDLIB + "socket.py"


def _user_caller(depth: int = 2) -> bool:
    """Is the code that called our hook (depth frames up from here) the user's, not the library's?"""
    try:
        return not _is_internal(sys._getframe(depth).f_code.co_filename)
    except ValueError:
        return False


def _ino(fd) -> int:
    return os.fstat(fd).st_ino


# -- pipes and FIFOs -------------------------------------------------------------------------------

original_pipe = os.pipe
original_pipe2 = getattr(os, "pipe2", None)
original_mkfifo = getattr(os, "mkfifo", None)
original_open = os.open
original_read = os.read
original_write = os.write
original_close = os.close
original_closerange = os.closerange
original_dup = os.dup
original_fdopen = os.fdopen
original_dup2 = os.dup2


def _new_pipe(r, w):
    ino = _ino(r)
    ch = f"pipe:{ino}"
    _fds[r] = _fds[w] = (ch, ino)
    _emit(protocol.EV_OS_PIPE, ch, user_location(3), x={"read": r, "write": w})


def pipe():
    try:
        r, w = original_pipe()
        try:
            if _user_caller():
                _new_pipe(r, w)
        except Exception:
            pass
        return r, w
    except BaseException as e:
        hide(e)
        raise


def pipe2(flags, /):
    try:
        r, w = original_pipe2(flags)
        try:
            if _user_caller():
                _new_pipe(r, w)
        except Exception:
            pass
        return r, w
    except BaseException as e:
        hide(e)
        raise


def mkfifo(path, mode=0o666, *, dir_fd=None):
    try:
        original_mkfifo(path, mode, dir_fd=dir_fd)
        try:
            if _user_caller():
                ino = os.stat(path, dir_fd=dir_fd).st_ino
                x = {"path": os.fsdecode(os.fspath(path))}
                if dir_fd is None:  # where the leak check looks at the end (the program may chdir)
                    x["abspath"] = os.path.abspath(x["path"])
                _emit(protocol.EV_OS_MKFIFO, f"fifo:{ino}", user_location(), x=x)
        except Exception:
            pass
    except BaseException as e:
        hide(e)
        raise


original_unlink = os.unlink
original_remove = os.remove


def _fifo_inode(path, dir_fd):
    """The inode of a FIFO the user's code is about to remove, else None (one lstat per user unlink)."""
    try:
        if _user_caller(3):
            st = os.lstat(path, dir_fd=dir_fd)
            if stat.S_ISFIFO(st.st_mode):
                return st.st_ino
    except Exception:
        pass
    return None


def _removing(original):
    def remove(path, *, dir_fd=None):
        try:
            ino = _fifo_inode(path, dir_fd)
            original(path, dir_fd=dir_fd)
            if ino is not None:
                try:
                    _emit(protocol.EV_FIFO_UNLINK, f"fifo:{ino}", user_location(), x={"path": os.fsdecode(os.fspath(path))})
                except Exception:
                    pass
        except BaseException as e:
            hide(e)
            raise
    remove.__name__, remove.__qualname__, remove.__doc__ = original.__name__, original.__name__, original.__doc__
    return remove


unlink = _removing(original_unlink)
remove = _removing(original_remove)


def open(path, flags, mode=0o777, *, dir_fd=None):
    try:
        fd = original_open(path, flags, mode, dir_fd=dir_fd)
        try:
            st = os.fstat(fd)
            if stat.S_ISFIFO(st.st_mode):
                _fds[fd] = (f"fifo:{st.st_ino}", st.st_ino)
            elif _fds:
                _fds.pop(fd, None)
        except Exception:
            pass
        return fd
    except BaseException as e:
        hide(e)
        raise


def _report(kind, fd, data, n):
    try:
        ch = _fds[fd][0]
        _emit(kind, ch, user_location(3), n, bytes(memoryview(data).cast("B")[:min(n, PV)]), "bytes")
    except Exception:
        pass


def _gate(op, fd, data) -> None:
    if _user_caller(3):
        try:
            f = sys._getframe(2)
            debug.gate(op, _fds[fd][0], bytes(data), (f.f_code, f.f_lasti))
        except Exception:
            pass


def write(fd, data, /):
    try:
        if debug.armed and fd in _fds:
            _gate("send", fd, data)
        n = original_write(fd, data)
        if fd in _fds:
            _report(protocol.EV_PIPE_WRITE, fd, data, n)
        return n
    except BaseException as e:
        hide(e)
        raise


def read(fd, n, /):
    try:
        data = original_read(fd, n)
        if fd in _fds and data:
            _report(protocol.EV_PIPE_READ, fd, data, len(data))
            if debug.armed:
                _gate("recv", fd, data)
        return data
    except BaseException as e:
        hide(e)
        raise


def close(fd):
    try:
        if _fds:
            try:
                _fds.pop(fd, None)
            except TypeError:  # not an fd: let os.close say so
                pass
        return original_close(fd)
    except BaseException as e:
        hide(e)
        raise


def closerange(fd_low, fd_high, /):
    try:
        if _fds:
            try:
                for fd in [fd for fd in _fds if fd_low <= fd < fd_high]:
                    del _fds[fd]
            except Exception:
                pass
        return original_closerange(fd_low, fd_high)
    except BaseException as e:
        hide(e)
        raise


def fdopen(fd, *args, **kwargs):
    # The file object owns the fd from now on and closes it without os.close: forget it (reads and
    # writes through a file object are not os.read / os.write anyway).
    try:
        if _fds:
            try:
                _fds.pop(fd, None)
            except TypeError:
                pass
        return original_fdopen(fd, *args, **kwargs)
    except BaseException as e:
        hide(e)
        raise


def dup(fd, /):
    try:
        new = original_dup(fd)
        if fd in _fds:
            _fds[new] = _fds[fd]
        return new
    except BaseException as e:
        hide(e)
        raise


def dup2(fd, fd2, inheritable=True):
    try:
        r = original_dup2(fd, fd2, inheritable)
        if _fds:
            try:
                if fd in _fds:
                    _fds[fd2] = _fds[fd]
                else:
                    _fds.pop(fd2, None)
            except Exception:
                pass
        return r
    except BaseException as e:
        hide(e)
        raise


# -- sockets ---------------------------------------------------------------------------------------

# Set when the program imports socket (_install_sockets): a process that never does pays nothing.
socket = None
original_socketpair = None
original_send = None
original_sendall = None
original_recv = None
original_recv_into = None
original_connect = None
original_accept = None


def _name(v) -> str:
    return getattr(v, "name", None) or str(v)


def _track(sock, ch, peer=None):
    import weakref

    key = id(sock)

    def gone(ref, key=key):
        e = _socks.get(key)
        if e is not None and e[0] is ref:
            del _socks[key]

    _socks[key] = (weakref.ref(sock, gone), ch, peer)
    if socket.socket.send is not send:  # the first socket worth watching: from now on, look
        socket.socket.send = send
        socket.socket.sendall = sendall
        socket.socket.recv = recv
        socket.socket.recv_into = recv_into


def _known(sock):
    e = _socks.get(id(sock))
    if e is not None and e[0]() is sock:
        return e
    return None


def socketpair(*args, **kwargs):
    try:
        a, b = original_socketpair(*args, **kwargs)
        try:
            if _user_caller():
                lo, hi = sorted((_ino(a.fileno()), _ino(b.fileno())))
                ch = f"sock:{lo}-{hi}"
                _track(a, ch)
                _track(b, ch)
                _emit(protocol.EV_SOCKET_NEW, ch, user_location(), x={"family": _name(a.family), "type": _name(a.type)})
        except Exception:
            pass
        return a, b
    except BaseException as e:
        hide(e)
        raise


def _endpoint(addr) -> str:
    if isinstance(addr, tuple):
        host, port = addr[0], addr[1]
        return f"[{host}]:{port}" if ":" in str(host) else f"{host}:{port}"
    if isinstance(addr, bytes):
        return addr.decode("utf-8", "backslashreplace").replace("\x00", "@")
    return str(addr)


def _sock_loc():
    """The user's line for a socket call, past socket.py (create_connection, makefile's SocketIO)."""
    f = sys._getframe(2)
    while f is not None:
        fn = f.f_code.co_filename
        if fn != _SOCKET_FILE and not fn.startswith(_OURS):
            if fn.startswith(_MP) or fn.startswith("<frozen"):
                return None
            return where(f.f_code, f.f_lasti)
        f = f.f_back
    return None


def _user_connection() -> bool:
    """Was connect/accept called (maybe through socket.py) by code other than multiprocessing's or ours?"""
    f = sys._getframe(2)
    while f is not None:
        fn = f.f_code.co_filename
        if fn != _SOCKET_FILE and not fn.startswith(_OURS):
            return not (fn.startswith(_MP) or fn.startswith("<frozen"))
        f = f.f_back
    return False


def _connection(sock, server_side: bool, loc):
    family = sock.family
    if family not in (socket.AF_INET, socket.AF_INET6, socket.AF_UNIX) or sock.type != socket.SOCK_STREAM:
        return
    if family == socket.AF_UNIX:
        path = sock.getsockname() if server_side else sock.getpeername()
        if not path:
            return
        ch = "unix:" + _endpoint(path)
        peer = None
    else:
        me, peer = _endpoint(sock.getsockname()), _endpoint(sock.getpeername())
        ch = "tcp:" + "|".join(sorted((me, peer)))
    _track(sock, ch, peer)
    _emit(protocol.EV_SOCKET_NEW, ch, loc, x={"family": _name(family), "type": _name(sock.type)})


def connect(self, address, /):
    try:
        original_connect(self, address)
        try:
            if _hub is not None and address == _hub:
                return  # the runtime's own connection
            if _user_connection():
                _connection(self, False, _sock_loc())
        except Exception:
            pass
    except BaseException as e:
        hide(e)
        raise


def accept(self):
    try:
        sock, addr = original_accept(self)
        try:
            if _user_connection():
                _connection(sock, True, _sock_loc())
        except Exception:
            pass
        return sock, addr
    except BaseException as e:
        hide(e)
        raise


def _x(e):
    return {"peer": e[2]} if e[2] else None


def send(self, *args):
    try:
        n = original_send(self, *args)
        if _socks:
            e = _known(self)
            if e is not None:
                try:
                    _emit(protocol.EV_SOCKET_SEND, e[1], _sock_loc(), n, bytes(memoryview(args[0]).cast("B")[:min(n, PV)]), "bytes", _x(e))
                except Exception:
                    pass
        return n
    except BaseException as e:
        hide(e)
        raise


def sendall(self, *args):
    try:
        r = original_sendall(self, *args)
        if _socks:
            e = _known(self)
            if e is not None:
                try:
                    view = memoryview(args[0]).cast("B")
                    _emit(protocol.EV_SOCKET_SEND, e[1], _sock_loc(), len(view), bytes(view[:PV]), "bytes", _x(e))
                except Exception:
                    pass
        return r
    except BaseException as e:
        hide(e)
        raise


def recv(self, *args):
    try:
        data = original_recv(self, *args)
        if _socks and data:
            e = _known(self)
            if e is not None:
                try:
                    _emit(protocol.EV_SOCKET_RECV, e[1], _sock_loc(), len(data), data[:PV], "bytes", _x(e))
                except Exception:
                    pass
        return data
    except BaseException as e:
        hide(e)
        raise


def recv_into(self, *args, **kwargs):
    try:
        n = original_recv_into(self, *args, **kwargs)
        if _socks and n:
            e = _known(self)
            if e is not None:
                try:
                    buf = args[0] if args else kwargs["buffer"]
                    _emit(protocol.EV_SOCKET_RECV, e[1], _sock_loc(), n, bytes(memoryview(buf).cast("B")[:min(n, PV)]), "bytes", _x(e))
                except Exception:
                    pass
        return n
    except BaseException as e:
        hide(e)
        raise


def install(transport) -> None:
    global _emit, _hub
    if os.read is read:
        return  # already installed
    try:
        _emit = transport.emit
        _hub = getattr(transport, "path", None)
        os.pipe = pipe
        if original_pipe2 is not None:
            os.pipe2 = pipe2
        if original_mkfifo is not None:
            os.mkfifo = mkfifo
        os.open = open
        os.unlink = unlink
        os.remove = remove
        os.read = read
        os.write = write
        os.close = close
        os.closerange = closerange
        os.dup = dup
        os.fdopen = fdopen
        os.dup2 = dup2
        when_imported("socket", _install_sockets)
        when_imported("multiprocessing.connection", _unhook_connection)
    except Exception:
        pass


def _unhook_connection() -> None:
    """multiprocessing.connection binds os.write / os.read / os.close as default arguments when it is
    imported, after this module's hooks: give its Connection the originals back, so Pipe and Queue
    traffic does not pay for them."""
    from multiprocessing import connection

    cls = getattr(connection, "Connection", None)
    for name, ours, original in (("_send", write, original_write), ("_recv", read, original_read),
                                 ("_close", close, original_close)):
        fn = getattr(cls, name, None)
        if getattr(fn, "__defaults__", None) == (ours,):
            fn.__defaults__ = (original,)


def _install_sockets() -> None:
    global socket, original_socketpair, original_send, original_sendall, original_recv, original_recv_into
    global original_connect, original_accept
    import socket as module

    if module.socket.connect is connect:
        return
    socket = module
    original_socketpair = getattr(socket, "socketpair", None)
    original_send = socket.socket.send
    original_sendall = socket.socket.sendall
    original_recv = socket.socket.recv
    original_recv_into = socket.socket.recv_into
    original_connect = socket.socket.connect
    original_accept = socket.socket.accept
    if original_socketpair is not None:
        socket.socketpair = socketpair
    # send/sendall/recv/recv_into are replaced when a first socket is tracked (_track): until then
    # sockets cost nothing more at all.
    socket.socket.connect = connect
    socket.socket.accept = accept
