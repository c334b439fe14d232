"""multiprocessing.pool.Pool hook: a pool is announced with the channels of its task and result queues.

hooks/mp.py names each SimpleQueue's channel (q._ipcscope_ch, "queue:<inode>"); tasks then show as
gets on the task queue in the workers, results as puts on the result queue.
"""
import os

from .. import protocol
from . import hide, user_location

_emit = None
original_pool_init = None


def pool_init(self, *args, **kwargs):
    try:
        original_pool_init(self, *args, **kwargs)
        try:
            from multiprocessing.pool import ThreadPool

            if not isinstance(self, ThreadPool):  # threads and queue.SimpleQueue: no IPC
                _emit(protocol.EV_POOL_NEW, f"pool:{os.getpid()}:{id(self)}", user_location(), x={
                    "processes": self._processes,
                    "tasks": getattr(self._inqueue, "_ipcscope_ch", ""),
                    "results": getattr(self._outqueue, "_ipcscope_ch", ""),
                })
        except Exception:
            pass
    except BaseException as e:
        hide(e)
        raise


def install(transport) -> None:
    global _emit, original_pool_init
    try:
        from multiprocessing import pool

        if pool.Pool.__init__ is pool_init:
            return  # already installed
        _emit = transport.emit
        original_pool_init = pool.Pool.__init__
        pool.Pool.__init__ = pool_init
    except Exception:
        pass
