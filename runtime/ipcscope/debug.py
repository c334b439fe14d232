"""Breakpoints on sends and receives: the stop gate, driven by a debugger through the hub.

Hooks call gate() right before a send, put or write (the message not yet handed to multiprocessing,
so none of its locks is held and no frame is half written) and right after a receive or get (the
message in hand, the locks released). Only the calling thread stops: a Queue's feeder thread and
our sender thread go on, so nothing already put is held back.

The debugger's commands arrive in the transport's reader thread (`command`), which also answers
stack, variables and evaluate requests while the stopped thread waits. If the connection goes, every
stopped thread is released and the gates are disarmed (fail-open).

Conditions and log messages are Python, evaluated here, in the user's own process (as any Python
debugger does), over `msg` (the payload), `channel`, `pid`, `process`, `op` and the frame's names.
"""
import _thread
import fnmatch
import itertools
import os
import sys
import time

from . import protocol, sites

armed = False  # hooks test this first: with no debugger a gate costs one global lookup
waiting_config = False  # IPCSCOPE_DEBUG: the first gate waits for the debugger's breakpoints

_transport = None
_config = {}
_lines = {}  # realpath -> {line: [bp]}
_send = []
_recv = []
_channels = []  # [(bp, kind prefixes, glob)]
_data = {}  # (channel, index) -> [bp]
_names = {}  # channel id -> the user's name for it (from the hub)
_channel_hits = {}  # channel id -> the channel breakpoints that match it
# (op, channel, file) where no breakpoint can stop or log: the file has no line breakpoints and no
# other kind matches. Most gates of a debugged program end at this lookup. Cleared by _configure.
_quiet = set()
_QUIET_MAX = 4096
# Bumped by _configure before it clears the caches above (the debugger's config arrives on the reader
# thread): a gate that worked from the breakpoints being replaced takes its (stale) answer out again.
_generation = 0
_by_name = False  # a channel breakpoint names channels by variable: gates need the names
_asked = set()  # channels whose name this process asked the debugger for (debug.name)
_compiled = {}  # source -> code, or the SyntaxError text
_reported = set()  # breakpoint ids whose condition error was reported
_real = {}  # co_filename -> realpath
_configured = _thread.allocate_lock()
_configured.acquire()
_pause = False  # stop at this process's next send or receive (pause, step)
_pause_reason = "pause"
_stops = {}  # stop id -> _Stop
_stop_ids = itertools.count(1)
_refs = {}  # variables reference -> object (valid while stopped)
_ref_ids = itertools.count(1)

KINDS = {
    "queue": ("queue:",),
    "pipe": ("conn:", "pipe:", "fifo:"),
    "conn": ("conn:",),
    "socket": ("sock:", "tcp:", "unix:"),
    "shared": ("shared:", "shm:", "mmap:"),
}
REPR_MAX = 300
CHILDREN_MAX = 200


class _Stop:
    __slots__ = ("lock", "frames", "msg", "ch", "op", "how", "extra")

    def __init__(self, frames, msg, ch, op, extra):
        self.lock = _thread.allocate_lock()
        self.lock.acquire()
        self.frames = frames
        self.msg = msg
        self.ch = ch
        self.op = op
        self.extra = extra
        self.how = "continue"


def enable(transport, wait_for_config: bool) -> None:
    """Called by bootstrap. With IPCSCOPE_DEBUG set, gates are armed from the start and the first one
    waits (briefly) for the breakpoints, so a process cannot pass its first put before they arrive."""
    global _transport, armed, waiting_config
    _transport = transport
    if wait_for_config:
        armed = waiting_config = True


def after_fork_in_child() -> None:
    # Breakpoints are inherited; the parent's stopped threads and their objects are not ours.
    global _pause
    _stops.clear()
    _refs.clear()
    _asked.clear()  # a question the parent asked is answered on its own connection
    _pause = False


def stop_on_entry(program: str) -> None:
    """Stops the program's main module at its first line (launch with stopOnEntry)."""
    target = os.path.realpath(program)

    def first_line(frame, event, arg):
        if event == "line":
            frame.f_trace = None
            sys.settrace(None)
            os.environ.pop(protocol.ENV_STOP_ON_ENTRY, None)  # children do not stop again
            _await_config()
            _stop(frame, None, "", "entry", "entry", [], {})
        return None

    def trace(frame, event, arg):
        if event == "call" and frame.f_code.co_name == "<module>" and _realpath(frame.f_code.co_filename) == target:
            return first_line  # stop at the module's first line, not before it starts
        return None

    sys.settrace(trace)


# ---- the gate -----------------------------------------------------------------------------------

def gate(op: str, ch: str, msg, loc, extra=None) -> None:
    """op: send | recv | write | change. loc: where the user's call is, a site (code, lasti) or (file, line). Never raises."""
    try:
        if waiting_config:
            _await_config()
        global _pause
        # A site (code, lasti) from a gate, or a (file, line) some hooks already have.
        fn = None if loc is None else loc[0] if type(loc[0]) is str else loc[0].co_filename
        if (op, ch, fn) in _quiet and not _pause:
            return
        generation = _generation
        hits = []
        by_line = None
        if fn is not None and _lines:
            by_line = _lines.get(_realpath(fn))
            if by_line:  # the line only when its file has line breakpoints
                hits.extend(by_line.get(sites.resolve(loc)[1], ()))
        if op == "send":
            hits.extend(_send)
        elif op == "recv":
            hits.extend(_recv)
        if _channels and op in ("send", "recv"):
            matching = _channel_hits.get(ch)
            if matching is None:  # decided once per channel (until the breakpoints or names change)
                # A Connection (conn:) is never named: no event says where it was made.
                if _by_name and ch not in _names and ch not in _asked and not ch.startswith("conn:"):
                    _ask_name(ch)
                    generation = _generation
                matching = _channel_hits[ch] = [bp for bp, prefixes, glob in _channels if _channel_matches(ch, prefixes, glob)]
                if _generation != generation:  # worked out from breakpoints a new config replaced
                    _channel_hits.pop(ch, None)
            hits.extend(matching)
        if op == "change" and _data:
            hits.extend(_data.get((ch, (extra or {}).get("index", 0)), ()))
        if not hits and not _pause:
            if not by_line and op != "change":
                if len(_quiet) >= _QUIET_MAX:
                    _quiet.clear()
                _quiet.add((op, ch, fn))
                if _generation != generation:  # as above
                    _quiet.discard((op, ch, fn))
            return
        frame = sys._getframe(1)
        namespace = None
        stop_ids, logs = [], []
        for bp in hits:
            if bp.get("op") and bp["op"] != op:
                continue
            if namespace is None:
                namespace = _namespace(frame, op, ch, msg)
            if bp.get("cond") and not _condition(bp, namespace):
                continue
            if bp.get("log"):
                logs.append([bp["id"], _log_message(bp["log"], namespace), 1 if bp.get("hit") else 0])
            else:
                stop_ids.append(bp["id"])
        if _pause:
            _pause = False
            _stop(frame, msg, ch, op, _pause_reason, [], extra or {}, logs)
        elif stop_ids or any(l[2] for l in logs):
            _stop(frame, msg, ch, op, "breakpoint", stop_ids, extra or {}, logs)
        elif logs:
            _send_debug(protocol.EV_DEBUG_LOG, ch, sites.resolve(loc), {"logs": logs})
    except Exception:
        pass


def _ask_name(ch: str) -> None:
    """Asks the debugger for ch's name (debug.name) and waits, at most NAME_WAIT_MS, for a config that
    has it: a function breakpoint by variable name must not miss a channel used right after it was
    made, before the debugger had looked at it. Once per channel per process."""
    _asked.add(ch)
    _send_debug(protocol.EV_DEBUG_NAME, ch, None, None)
    end = time.monotonic() + protocol.NAME_WAIT_MS / 1000
    while ch not in _names and armed and time.monotonic() < end:
        time.sleep(0.002)


def _channel_matches(ch: str, prefixes, glob: str) -> bool:
    if prefixes and not ch.startswith(prefixes):
        return False
    if glob in ("", "*"):
        return True
    name = _names.get(ch, "")
    return fnmatch.fnmatchcase(name, glob) or fnmatch.fnmatchcase(ch, glob) or fnmatch.fnmatchcase(ch.split(":", 1)[-1], glob)


def _namespace(frame, op, ch, msg):
    user = _user_frame(frame)
    ns = dict(user.f_globals) if user is not None else {}
    if user is not None:
        ns.update(user.f_locals)
    ns.update(msg=msg, channel=_names.get(ch) or ch, channel_id=ch, pid=os.getpid(), process=_process_name(), op=op)
    return ns


def _condition(bp, ns) -> bool:
    code = _compile(bp["cond"], "eval")
    if isinstance(code, str):
        _report(bp, code)
        return False
    try:
        return bool(eval(code, ns))
    except Exception as e:
        _report(bp, f"{type(e).__name__}: {e}")
        return False


def _log_message(template: str, ns) -> str:
    # "{expr}" parts are evaluated, the rest is text (as VS Code's logpoints).
    out, i = [], 0
    while i < len(template):
        j = template.find("{", i)
        if j < 0:
            out.append(template[i:])
            break
        k = template.find("}", j)
        if k < 0:
            out.append(template[i:])
            break
        out.append(template[i:j])
        code = _compile(template[j + 1:k], "eval")
        try:
            v = eval(code, ns) if not isinstance(code, str) else f"<{code}>"
            out.append(v if isinstance(v, str) else _short(v))
        except Exception as e:
            out.append(f"<{type(e).__name__}: {e}>")
        i = k + 1
    return "".join(out)


def _compile(src: str, mode: str):
    code = _compiled.get((src, mode))
    if code is None:
        try:
            code = compile(src, "<condition>", mode)
        except SyntaxError as e:
            code = f"SyntaxError: {e.msg}"
        _compiled[(src, mode)] = code
    return code


def _report(bp, message: str) -> None:
    if bp["id"] in _reported:
        return
    _reported.add(bp["id"])
    _send_debug(protocol.EV_DEBUG_ERROR, "", None, {"bp": bp["id"], "message": message})


def _stop(frame, msg, ch, op, reason, bp_ids, extra, logs=()) -> None:
    frames = _user_frames(frame)
    stop_id = next(_stop_ids)
    stop = _Stop(frames, msg, ch, op, extra)
    _stops[stop_id] = stop
    top = frames[0] if frames else None
    x = {
        "stop": stop_id,
        "reason": reason,
        "bps": bp_ids,
        "op": op,
        "thread": _thread_name(),
        "process": _process_name(),
        "frames": [[f.f_code.co_name, f.f_code.co_filename, f.f_lineno] for f in frames],
        "msg": _short(msg) if op != "entry" else "",
        "msgType": type(msg).__name__ if op != "entry" else "",
        "logs": list(logs),
    }
    for k, v in extra.items():
        x[k] = v if isinstance(v, (int, float, str, bool)) or v is None else _short(v)
    _send_debug(protocol.EV_DEBUG_STOP, ch, (top.f_code.co_filename, top.f_lineno) if top else None, x)
    # Interruptible: a signal (terminate) still reaches a stopped main thread.
    while not stop.lock.acquire(timeout=0.5):
        if not armed and not waiting_config and _transport is not None and _transport.dead:
            break
    _stops.pop(stop_id, None)
    if not _stops:
        _refs.clear()
    if stop.how == "step":
        _request_pause("step")


def _request_pause(reason: str) -> None:
    global _pause, _pause_reason
    _pause_reason = reason
    _pause = True


def _send_debug(kind, ch, loc, x) -> None:
    t = _transport
    if t is not None:
        t.emit_now(kind, ch, loc, x)


# ---- commands from the debugger (the transport's reader thread) ---------------------------------

def command(c: dict) -> None:
    t = c.get("t")
    if t == protocol.CMD_CONFIG:
        _configure(c)
    elif t == protocol.CMD_RESUME:
        _resume(c.get("stop"), c.get("how", "continue"))
    elif t == protocol.CMD_PAUSE:
        _request_pause("pause")
    elif t == protocol.CMD_VARIABLES:
        _reply(c, {"vars": _variables(c)})
    elif t == protocol.CMD_EVALUATE:
        _reply(c, _evaluate(c))


def _reply(c, x) -> None:
    x["req"] = c.get("req", 0)
    _send_debug(protocol.EV_DEBUG_REPLY, "", None, x)


def _configure(c: dict) -> None:
    global armed, waiting_config, _lines, _send, _recv, _channels, _data, _names, _config, _generation, _by_name
    _generation += 1  # first: see _generation
    lines = {}
    for bp in c.get("lines") or ():
        lines.setdefault(os.path.realpath(bp["file"]), {}).setdefault(bp["line"], []).append(bp)
    channels = []
    for bp in c.get("channels") or ():
        pattern = bp.get("pattern", "")
        kind, _, glob = pattern.partition(":") if ":" in pattern else ("", "", pattern)
        prefixes = KINDS.get(kind, (kind + ":",)) if kind else ()
        channels.append((bp, prefixes, glob))
    data = {}
    for bp in c.get("data") or ():
        data.setdefault((bp["ch"], bp.get("index", 0)), []).append(bp)
    _lines, _send, _recv, _channels, _data = lines, list(c.get("send") or ()), list(c.get("recv") or ()), channels, data
    _by_name = any(glob not in ("", "*") for _, _, glob in channels)
    _names = dict(c.get("names") or {})
    _channel_hits.clear()
    _quiet.clear()
    _reported.clear()
    _config = c
    active = bool(c.get("debugger"))
    armed = active
    waiting_config = False
    if _configured.locked():
        _configured.release()
    if not active:
        release_all()
    # Conditions that do not parse are reported now, not at the first hit.
    for bp in [*(b for per in lines.values() for l in per.values() for b in l), *_send, *_recv, *(b for b, _, _ in channels), *(b for l in data.values() for b in l)]:
        if bp.get("cond") and isinstance(_compile(bp["cond"], "eval"), str):
            _report(bp, _compile(bp["cond"], "eval"))


def _await_config() -> None:
    global waiting_config
    if _transport is not None:
        _transport.start_now()
    if _configured.locked():
        _configured.acquire(timeout=5.0)  # no debugger after that: run on (fail-open)
        if _configured.locked():
            waiting_config = False
        else:
            _configured.release()


def _resume(stop_id, how) -> None:
    stops = list(_stops.items()) if stop_id in (None, 0) else [(stop_id, _stops.get(stop_id))]
    for _, s in stops:
        if s is not None:
            s.how = how
            try:
                s.lock.release()
            except RuntimeError:
                pass


def release_all() -> None:
    """The debugger is gone: disarm, and let every stopped thread go."""
    global armed, waiting_config, _pause
    armed = waiting_config = _pause = False
    if _configured.locked():
        _configured.release()
    _resume(None, "continue")


# ---- stack, variables, evaluate -----------------------------------------------------------------

def _user_frame(frame):
    from .hooks import _is_internal

    while frame is not None and _is_internal(frame.f_code.co_filename):
        frame = frame.f_back
    return frame


def _user_frames(frame):
    from .hooks import _is_internal

    frames = []
    while frame is not None:
        if not _is_internal(frame.f_code.co_filename):
            frames.append(frame)
        frame = frame.f_back
    return frames


def _find_stop(c):
    return _stops.get(c.get("stop"))


def _ref(obj) -> int:
    r = next(_ref_ids)
    _refs[r] = obj
    return r


def _variables(c):
    ref = c.get("ref")
    stop = _find_stop(c)
    if stop is None:
        return []
    scope = c.get("scope")
    if scope is not None:
        i = c.get("frame", 0)
        frame = stop.frames[i] if 0 <= i < len(stop.frames) else None
        if scope == "message":
            return [_var("msg", stop.msg)] if stop.op != "entry" else []
        if frame is None:
            return []
        if scope == "locals":
            return [_var(k, v) for k, v in list(frame.f_locals.items())[:CHILDREN_MAX]]
        if scope == "globals":
            return [_var(k, v) for k, v in list(frame.f_globals.items()) if not (k.startswith("__") and k.endswith("__"))][:CHILDREN_MAX]
        return []
    obj = _refs.get(ref)
    return [_var(k, v) for k, v in _children(obj)] if obj is not None else []


def _children(obj):
    out = []
    try:
        shared = _shared_info(obj)
        if shared is not None:
            raw = obj._obj
            if hasattr(raw, "_length_"):
                return [(str(i), raw[i]) for i in range(min(len(raw), CHILDREN_MAX))]
            return [("value", raw.value)]
        if isinstance(obj, dict):
            return [(_short(k, 60), v) for k, v in itertools.islice(obj.items(), CHILDREN_MAX)]
        if isinstance(obj, (list, tuple)):
            return [(str(i), v) for i, v in enumerate(obj[:CHILDREN_MAX])]
        if isinstance(obj, (set, frozenset)):
            return [(str(i), v) for i, v in enumerate(itertools.islice(obj, CHILDREN_MAX))]
        d = getattr(obj, "__dict__", None)
        if isinstance(d, dict):
            out = [(k, v) for k, v in itertools.islice(d.items(), CHILDREN_MAX)]
    except Exception:
        pass
    return out


_SCALARS = (int, float, complex, bool, str, bytes, type(None))


def _var(name, value):
    v = {"name": str(name), "value": _short(value), "type": type(value).__name__, "ref": 0}
    if not isinstance(value, _SCALARS) and _children(value):
        v["ref"] = _ref(value)
    shared = _shared_info(value)
    if shared is not None:
        v["ch"], v["length"] = shared
    return v


def _shared_info(obj):
    """(channel id, element count) of a shared Value/Array wrapper, or None."""
    raw = getattr(obj, "_obj", None) if type(obj).__module__ == "multiprocessing.sharedctypes" else None
    meta = getattr(raw, "_ipcscope", None) if raw is not None else None
    if meta is None:
        return None
    return meta[0], getattr(raw, "_length_", 1)


def _short(value, limit=REPR_MAX) -> str:
    try:
        if type(value).__module__ == "multiprocessing.sharedctypes" and hasattr(value, "_obj"):
            raw = value._obj  # not .value: that takes the lock, which another process may hold
            text = f"{type(value).__name__}({list(raw) if hasattr(raw, '_length_') else raw.value!r})"
        else:
            text = repr(value)
    except Exception as e:
        text = f"<{type(value).__name__}: repr failed: {type(e).__name__}>"
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _evaluate(c):
    stop = _find_stop(c)
    if stop is None:
        return {"error": "the process is not stopped"}
    i = c.get("frame", 0)
    frame = stop.frames[i] if 0 <= i < len(stop.frames) else None
    ns = dict(frame.f_globals) if frame is not None else {}
    if frame is not None:
        ns.update(frame.f_locals)
    ns["msg"] = stop.msg
    expr = c.get("expr", "")
    code = _compile(expr, "eval")
    try:
        if isinstance(code, str):
            stmt = _compile(expr, "exec")
            if isinstance(stmt, str):
                return {"error": stmt}
            exec(stmt, ns)
            return {"var": _var("", None) | {"value": ""}}
        return {"var": _var(expr, eval(code, ns))}
    except Exception as e:
        return {"error": f"{type(e).__name__}: {e}"}


def _realpath(fn: str) -> str:
    r = _real.get(fn)
    if r is None:
        r = _real[fn] = os.path.realpath(fn)
    return r


def _process_name() -> str:
    mp = sys.modules.get("multiprocessing")
    try:
        return mp.current_process().name if mp is not None else "MainProcess"
    except Exception:
        return ""


def _thread_name() -> str:
    th = sys.modules.get("threading")
    try:
        return th.current_thread().name if th is not None else "MainThread"
    except Exception:
        return ""
