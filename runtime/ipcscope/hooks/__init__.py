"""Hooks on the standard library's IPC. Each keeps the original (`original_<name>`) and never lets
a failure of ours reach the program."""
import os
import sys
import threading

import multiprocessing

_SKIP = tuple(os.path.dirname(m.__file__) + os.sep for m in (multiprocessing,)) + (
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep,
    threading.__file__,
)


def user_location(depth: int = 2) -> str:
    """file:line of the first caller outside multiprocessing, threading and ipcscope."""
    try:
        f = sys._getframe(depth)
    except ValueError:
        return ""
    while f is not None:
        fn = f.f_code.co_filename
        if not fn.startswith(_SKIP) and not fn.startswith("<frozen"):
            return f"{fn}:{f.f_lineno}"
        f = f.f_back
    return ""
