"""Turns the runtime on in a process whose environment names a hub (IPCSCOPE_HUB + IPCSCOPE_TOKEN).

Loaded by _inject/sitecustomize.py in every Python process of the program: spawned and
forkserver children and exec'd Pythons inherit the environment; forked children inherit the hooks.
"""
import atexit
import os
import sys

from . import protocol

_transport = None


def install():
    global _transport
    if _transport is not None:
        return _transport
    path = os.environ.get(protocol.ENV_HUB)
    token = os.environ.get(protocol.ENV_TOKEN)
    if not path or not token:
        return None
    try:
        from .transport import Transport
        from .hooks import oshooks, when_imported

        from . import debug

        t = Transport(path, token)
        os.register_at_fork(after_in_child=t.after_fork_in_child)
        debug.enable(t, wait_for_config=bool(os.environ.get(protocol.ENV_DEBUG)))
        os.register_at_fork(after_in_child=debug.after_fork_in_child)
        oshooks.install(t)
        _lazy("shared", t)  # Value/Array, SharedMemory/ShareableList, mmap: each hooked when imported
        _lazy("ospipes", t)  # os.pipe/mkfifo, socketpair, sockets
        # The rest waits until the program imports what it hooks.
        # Pipe / Connection, Queue / SimpleQueue; their blocking calls (get, recv) are marked there too.
        when_imported("multiprocessing.connection", lambda: _lazy("mp", t))
        when_imported("multiprocessing.queues", lambda: _lazy("mp", t, "install_queues"))
        when_imported("multiprocessing.synchronize", lambda: _lazy("sync", t))  # Lock/Semaphore/Condition/Event/Barrier
        when_imported("multiprocessing.managers", lambda: _lazy("managers", t))  # Manager proxies
        when_imported("multiprocessing.pool", lambda: _lazy("pool", t))  # Pool
        # Blocking calls, reported only when they last: Process.join here.
        when_imported("multiprocessing.process", lambda: _lazy("blocking", t))
        # Children started by exec (subprocess, the spawn start method): who started them, where.
        when_imported("subprocess", lambda: _lazy("oshooks", t, "install_subprocess"))
        when_imported("multiprocessing.util", lambda: _lazy("oshooks", t, "install_mp_spawn"))
        when_imported("multiprocessing.popen_forkserver", lambda: _lazy("oshooks", t, "install_forkserver"))
        atexit.register(t.flush)
        _transport = t
        method = os.environ.get(protocol.ENV_START_METHOD)
        if method:
            when_imported("multiprocessing.context", lambda: _default_start_method(method))
        entry = os.environ.get(protocol.ENV_STOP_ON_ENTRY)
        if entry and os.environ.get(protocol.ENV_DEBUG):
            debug.stop_on_entry(entry)
    except Exception:
        return None  # never break the program
    return _transport


def _lazy(hooks: str, arg, function: str = "install") -> None:
    """Installs one hook module; one that fails leaves the others (and the program) working."""
    dont_write = sys.dont_write_bytecode
    sys.dont_write_bytecode = False  # as in sitecustomize: our bytecode is cached
    try:
        getattr(__import__(f"{__package__}.hooks.{hooks}", fromlist=[function]), function)(arg)
    except Exception:
        pass
    finally:
        sys.dont_write_bytecode = dont_write


def _default_start_method(method: str) -> None:
    """The start method a debug launch configuration chose becomes the program's default. A later
    set_start_method() of the program's own is ignored (force=True, as spawned children use, is not)."""
    from multiprocessing import context

    default = context._default_context
    if default._actual_context is None:
        default._actual_context = default.get_context(method)
    original = default.set_start_method

    def set_start_method(m, force=False):
        if force:
            original(m, force)

    default.set_start_method = set_start_method  # copied into multiprocessing's namespace as it loads
