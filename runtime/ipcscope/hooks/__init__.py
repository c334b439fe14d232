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


_skip_file = {}  # co_filename -> is it ours or the library's (decided once per file)


def user_location(depth: int = 2):
    """(file, line) of the first caller outside multiprocessing, threading and ipcscope, or None.
    Formatting waits for the sender thread: this runs on the user's hot path."""
    try:
        f = sys._getframe(depth)
    except ValueError:
        return None
    while f is not None:
        fn = f.f_code.co_filename
        skip = _skip_file.get(fn)
        if skip is None:
            skip = _skip_file[fn] = fn.startswith(_SKIP) or fn.startswith("<frozen")
        if not skip:
            return (fn, f.f_lineno)
        f = f.f_back
    return None
