"""Hooks on the standard library's IPC. Each keeps the original (`original_<name>`) and never lets
a failure of ours reach the program."""
import os
import sys

from ..sites import _by_key as _site_lines, resolve as _resolve

# The standard library and this package: frames there are not the user's. Paths are derived from os
# (always loaded) so that nothing is imported just to name them.
_STDLIB = os.path.dirname(os.path.abspath(os.__file__)) + os.sep
_OURS = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_internal_file = {}  # co_filename -> is it the standard library's or ours (decided once per file)


def _is_internal(filename: str) -> bool:
    """Is this file the standard library's (not site-packages) or ours? Objects made there are not
    the user's (a Queue's own locks, multiprocessing's own pipes)."""
    r = _internal_file.get(filename)
    if r is None:
        r = _internal_file[filename] = filename.startswith("<frozen") or filename.startswith(_OURS) or (
            filename.startswith(_STDLIB) and "-packages" + os.sep not in filename)
    return r


# 3.11+ re-raise the caught exception object, whose traceback hide() may shorten; 3.10's bare `raise`
# restores the traceback it caught, so there a hook's frames stay in it.
_RERAISE_USES_TRACEBACK = sys.version_info >= (3, 11)


def hide(exc) -> None:
    """Takes this package's frames out of the traceback of exc (and of the exceptions it chains to),
    so an error that passes through a hook reads as it would without IPC Scope. Call it in a hook's
    `except BaseException as e:` and re-raise with a bare `raise`, which adds no entry for the hook."""
    if not _RERAISE_USES_TRACEBACK:
        return
    todo, seen = [exc], set()
    while todo:
        e = todo.pop()
        if e is None or id(e) in seen or len(seen) > 16:
            continue
        seen.add(id(e))
        todo.append(e.__cause__)
        todo.append(e.__context__)
        tb, kept, ours = e.__traceback__, [], False
        while tb is not None:
            if tb.tb_frame.f_code.co_filename.startswith(_OURS):
                ours = True
            else:
                kept.append(tb)
            tb = tb.tb_next
        if not ours:
            continue
        for a, b in zip(kept, kept[1:]):
            a.tb_next = b
        if kept:
            kept[-1].tb_next = None
        e.__traceback__ = kept[0] if kept else None


def user_location(depth: int = 2):
    """(file, line) of the first caller outside the standard library and ipcscope, or None."""
    try:
        f = sys._getframe(depth)
    except ValueError:
        return None
    return frame_location(f)


def frame_location(f):
    """(file, line) of f or of the first frame it was called from that is outside the standard
    library (multiprocessing, threading, selectors, subprocess…) and ipcscope, or None: a call the
    library makes for the user is placed at the user's line that made it. On the user's hot path:
    a site's line is looked up in sites' cache (sites.where, inlined)."""
    while f is not None:
        code = f.f_code
        fn = code.co_filename
        skip = _internal_file.get(fn)
        if skip is None:
            skip = _is_internal(fn)
        if not skip:
            lasti = f.f_lasti
            hit = _site_lines.get(id(code) << 32 | lasti)
            return hit if hit is not None else _resolve((code, lasti))
        f = f.f_back
    return None


class _PostImportHooks:
    """A meta path finder that runs callbacks right after a watched module is first imported, so a
    process that never imports multiprocessing never pays for loading it (python -c pass stays fast)."""

    def __init__(self) -> None:
        self.pending = {}  # module name -> [callbacks]

    def find_spec(self, name, path=None, target=None):
        if name not in self.pending:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None:
                break
        else:
            return None
        if spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        spec.loader = _LoaderThenHooks(spec.loader, self.pending.pop(name))
        return spec


class _LoaderThenHooks:
    def __init__(self, loader, callbacks) -> None:
        self._loader = loader
        self._callbacks = callbacks

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        module.__loader__ = self._loader
        if getattr(module, "__spec__", None) is not None:
            module.__spec__.loader = self._loader
        self._loader.exec_module(module)
        for fn in self._callbacks:
            try:
                fn()
            except Exception:
                pass  # a hook that fails leaves the module as it is

    def __getattr__(self, name):
        return getattr(self._loader, name)


_post_import = None


def when_imported(module: str, fn) -> None:
    """Runs fn() once `module` is imported: now if it already is, else right after its first import."""
    global _post_import
    if module in sys.modules:  # already loaded (a module being loaded right now is not: see bootstrap)
        try:
            fn()
        except Exception:
            pass
        return
    if _post_import is None:
        _post_import = _PostImportHooks()
        sys.meta_path.insert(0, _post_import)
    _post_import.pending.setdefault(module, []).append(fn)
