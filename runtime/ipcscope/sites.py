"""Where a call was made: (file, line), looked up by its site, (code object, f_lasti).

Reading f_lineno on the user's path decodes the code's line table from its start on every call,
thousands of instructions, more the longer the user's function. Instead the line of each site is
worked out once and cached: the hooks call where() (one dict lookup), so the events they buffer are
ready to send as they are and the sender thread does no work per event while it holds the GIL. A
breakpoint check keeps the site itself and calls resolve().
"""
from types import CodeType

_MAX = 8192
# (id(code), lasti) -> (code, (file, line)). The code object is kept so its id is not reused while
# the entry lives.
_resolved = {}
# id(code) << 32 | lasti -> (file, line), for where(): an int key hashes faster than a tuple. Its
# entries are _resolved's, so the code objects _resolved keeps keep these ids from being reused.
_by_key = {}


def where(code, lasti: int):
    """(file, line) of a site: the hooks' hot path."""
    hit = _by_key.get(id(code) << 32 | lasti)
    if hit is None:
        hit = resolve((code, lasti))
    return hit


def resolve(loc):
    """(file, line) for a site; anything else (None, or a (file, line) already) as it is."""
    if loc is None or type(loc[0]) is not CodeType:
        return loc
    code, lasti = loc
    key = (id(code), lasti)
    hit = _resolved.get(key)
    if hit is not None:
        return hit[1]
    found = (code.co_filename, line_of(code, lasti))
    if len(_resolved) >= _MAX:
        _resolved.clear()
        _by_key.clear()
    _resolved[key] = (code, found)
    _by_key[id(code) << 32 | lasti] = found
    return found


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
