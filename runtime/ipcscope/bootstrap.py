"""Turns the runtime on in a process whose environment names a hub (IPCSCOPE_HUB + IPCSCOPE_TOKEN).

Loaded by _inject/sitecustomize.py in every Python process of the program: spawned and
forkserver children and exec'd Pythons inherit the environment; forked children inherit the hooks.
"""
import atexit
import os

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
        from .hooks import mp, oshooks

        t = Transport(path, token)
        os.register_at_fork(after_in_child=t.after_fork_in_child)
        mp.install(t.emit)
        oshooks.install(t)
        atexit.register(t.flush)
        t.emit(protocol.EV_PROCESS_START)
        _transport = t
    except Exception:
        return None  # never break the program
    return _transport
