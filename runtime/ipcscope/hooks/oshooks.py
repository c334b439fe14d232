"""os.fork, os.wait/waitpid and os._exit hooks: who forked whom, who reaped whom and how it ended.
Children started without an os.fork in this process (subprocess, multiprocessing's spawn start
method, os.posix_spawn) are reported too, as process.spawn, with the user's line that started them."""
import os
import sys

from .. import protocol
from ..transport import start_ticks
from . import _is_internal, hide, user_location

original_fork = os.fork
original_posix_spawn = getattr(os, "posix_spawn", None)
original_posix_spawnp = getattr(os, "posix_spawnp", None)
original_wait = os.wait
original_waitpid = os.waitpid
original_exit = os._exit
_transport = None


def _status(status: int) -> dict:
    if os.WIFEXITED(status):
        return {"status": status, "exitCode": os.WEXITSTATUS(status), "signal": None}
    if os.WIFSIGNALED(status):
        return {"status": status, "exitCode": None, "signal": os.WTERMSIG(status), "core": os.WCOREDUMP(status)}
    return {"status": status, "exitCode": None, "signal": None}


def fork():
    try:
        pid = original_fork()
        if pid > 0:
            try:
                # The child's start time makes its key, so the hub can list it even if it ends unscanned.
                # It cannot be reaped before we wait for it, so its /proc entry is there (maybe a zombie's).
                x = {"child": pid, "start": start_ticks(pid)}
                caller = sys._getframe(1)
                if not _is_internal(caller.f_code.co_filename):
                    x["via"] = "os.fork"  # the program's own fork, not a multiprocessing Process's
                # In the forkserver process no line is the user's (its main runs from a -c string): the
                # parent that asked for the child reports that (install_forkserver).
                _transport.emit(protocol.EV_FORK, "", None if _in_forkserver(caller) else user_location(), x=x)
            except Exception:
                pass
        return pid
    except BaseException as e:
        hide(e)
        raise


def _in_forkserver(f) -> bool:
    """Is this frame multiprocessing's forkserver loop (which forks each Process itself)? Only the direct
    caller counts: a Process the forkserver forked runs the user's code below that loop, and forks of its
    own are the user's."""
    forkserver = sys.modules.get("multiprocessing.forkserver")
    main = getattr(getattr(forkserver, "main", None), "__code__", None)
    return main is not None and f.f_code is main


def _spawned(pid, via: str, depth: int = 3) -> None:
    """Reports a child this process started by exec: its key (pid and start time), how, and where."""
    try:
        if isinstance(pid, int) and pid > 0:
            _transport.emit(protocol.EV_SPAWN, "", user_location(depth), x={"child": pid, "start": start_ticks(pid), "via": via})
    except Exception:
        pass


def _posix_spawn_hook(original, name):
    def posix_spawn(*args, **kwargs):
        try:
            pid = original(*args, **kwargs)
        except BaseException as e:
            hide(e)
            raise
        # subprocess may use posix_spawn itself: its own hook reports the child, once.
        if not _is_internal(sys._getframe(1).f_code.co_filename):
            _spawned(pid, "posix_spawn")
        return pid

    posix_spawn.__name__ = posix_spawn.__qualname__ = name
    return posix_spawn


def _report_started(owner, attr: str, via: str) -> None:
    """Wraps owner.attr, a method that starts a child and sets self.pid, so that the child is reported
    at the user's line that started it (once, however often this runs)."""
    original = getattr(owner, attr)
    if getattr(original, "_ipcscope", False):
        return  # installed already

    def started(self, *args, **kwargs):
        try:
            original(self, *args, **kwargs)
        except BaseException as e:
            hide(e)
            raise
        _spawned(getattr(self, "pid", None), via)

    started.__name__ = started.__qualname__ = attr
    started._ipcscope = True
    setattr(owner, attr, started)


def install_subprocess(_t=None) -> None:
    """Runs once subprocess is imported: Popen's children (fork_exec or posix_spawn) are reported."""
    import subprocess

    _report_started(subprocess.Popen, "_execute_child", "subprocess")


# multiprocessing's helper processes, as their command lines name them, and as events name them.
_MP_HELPERS = (("resource_tracker", "resource_tracker"), ("forkserver", "forkserver_server"))


def install_mp_spawn(_t=None) -> None:
    """Runs once multiprocessing.util is imported: the spawn start method's children (and the
    forkserver and resource tracker processes) start through spawnv_passfds."""
    from multiprocessing import util

    original = util.spawnv_passfds
    if getattr(original, "_ipcscope", False):
        return  # installed already

    def spawnv_passfds(path, args, passfds):
        try:
            pid = original(path, args, passfds)
        except BaseException as e:
            hide(e)
            raise
        # multiprocessing's own helper processes start here too: told apart from the program's children.
        helper = next((via for name, via in _MP_HELPERS if any(name in str(a) for a in args)), None)
        _spawned(pid, helper or "spawn")
        return pid

    spawnv_passfds._ipcscope = True
    util.spawnv_passfds = spawnv_passfds


def install_forkserver(_t=None) -> None:
    """Runs once multiprocessing.popen_forkserver is imported: a Process the forkserver forks is
    reported by the parent that started it, at the user's start() line (via "forkserver")."""
    from multiprocessing import popen_forkserver

    _report_started(popen_forkserver.Popen, "_launch", "forkserver")


def wait():
    try:
        pid, status = original_wait()
        _reaped(pid, status)
        return pid, status
    except BaseException as e:
        hide(e)
        raise


def waitpid(pid, options):
    try:
        got, status = original_waitpid(pid, options)
        if got > 0:
            _reaped(got, status)
        return got, status
    except BaseException as e:
        hide(e)
        raise


def _reaped(pid, status):
    try:
        x = {"child": pid}
        x.update(_status(status))
        _transport.emit(protocol.EV_WAIT, "", user_location(3), x=x)
    except Exception:
        pass


def _exit(code):
    # multiprocessing children end with os._exit: send what is buffered first (bounded wait).
    try:
        try:
            _transport.flush(0.3)
        except Exception:
            pass
        original_exit(code)
    except BaseException as e:
        hide(e)
        raise


def install(transport) -> None:
    global _transport
    _transport = transport
    os.fork = fork
    if original_posix_spawn is not None:
        os.posix_spawn = _posix_spawn_hook(original_posix_spawn, "posix_spawn")
    if original_posix_spawnp is not None:
        os.posix_spawnp = _posix_spawn_hook(original_posix_spawnp, "posix_spawnp")
    os.wait = wait
    os.waitpid = waitpid
    os._exit = _exit
