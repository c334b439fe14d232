"""Where a call was made, as the hooks record it: a site, (code object, f_lasti).

Two attribute reads on the user's path. Reading f_lineno there instead decodes the code's line table
from its start on every call, thousands of instructions, more the longer the user's function. The
sender thread (and a breakpoint check that needs the line) turns a site into (file, line) here, once
per site.
"""
from types import CodeType

_MAX = 8192
# (id(code), lasti) -> (code, (file, line)). The code object is kept so its id is not reused while
# the entry lives.
_resolved = {}


def resolve(loc):
    """(file, line) for a site; anything else (None, or a (file, line) already) as it is."""
    if loc is None or type(loc[0]) is not CodeType:
        return loc
    code, lasti = loc
    key = (id(code), lasti)
    hit = _resolved.get(key)
    if hit is not None:
        return hit[1]
    where = (code.co_filename, line_of(code, lasti))
    if len(_resolved) >= _MAX:
        _resolved.clear()
    _resolved[key] = (code, where)
    return where


def line_of(code, lasti: int) -> int:
    """The line of the instruction at byte offset lasti (f_lasti counts bytes on 3.10 to 3.13), as
    f_lineno gives it for a frame stopped there."""
    line = None
    for start, end, n in code.co_lines():
        if n is not None:
            line = n
        if start <= lasti < end:
            break
    return line if line is not None else code.co_firstlineno
