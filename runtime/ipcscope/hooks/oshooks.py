"""os.fork, os.wait/waitpid and os._exit hooks: who forked whom, who reaped whom and how it ended."""
import os

from .. import protocol
from ..transport import start_ticks
from . import hide, user_location

original_fork = os.fork
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
                _transport.emit(protocol.EV_FORK, "", user_location(), x={"child": pid, "start": start_ticks(pid)})
            except Exception:
                pass
        return pid
    except BaseException as e:
        hide(e)
        raise


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
    os.wait = wait
    os.waitpid = waitpid
    os._exit = _exit
