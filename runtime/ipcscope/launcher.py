"""The launcher behind `python -m ipcscope program.py args...`.

Transparency first: the program gets the same interpreter, arguments, cwd, stdio and environment
(minus our own variables), and the launcher exits with the program's status, re-raising its
signal if it was killed. Meanwhile it is a child subreaper (PR_SET_CHILD_SUBREAPER), so processes
orphaned inside the program are re-parented here rather than to init, and IPC Scope keeps them in
the program's tree; it reaps them and can report every exit status on IPCSCOPE_STATUS_FD.
"""
from __future__ import annotations

import ctypes
import json
import os
import resource
import signal
import sys
import time

from . import __version__

PR_SET_CHILD_SUBREAPER = 36
FORWARDED = (signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2, signal.SIGINT)
WAITED = (*FORWARDED, signal.SIGCHLD)
OWN_ENV = ("IPCSCOPE_RUNTIME_DIR", "IPCSCOPE_STATUS_FD")

USAGE = """usage: python -m ipcscope [--] PROGRAM.py [ARGS...]
       python -m ipcscope -m MODULE [ARGS...]
       python -m ipcscope -c CODE [ARGS...]
       python -m ipcscope --version

Runs a Python program under IPC Scope: its processes, including orphans, stay in view."""


def set_subreaper() -> bool:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def child_environment() -> dict:
    """The environment the program would have had without us; with a hub, the runtime stays on
    (PYTHONPATH keeps the runtime and its sitecustomize, so every Python process reports)."""
    env = dict(os.environ)
    if env.get("IPCSCOPE_HUB"):
        return env
    runtime_dir = env.get("IPCSCOPE_RUNTIME_DIR")
    if runtime_dir and "PYTHONPATH" in env:
        parts = [p for p in env["PYTHONPATH"].split(os.pathsep) if p and os.path.abspath(p) != os.path.abspath(runtime_dir)]
        if parts:
            env["PYTHONPATH"] = os.pathsep.join(parts)
        else:
            del env["PYTHONPATH"]
    for name in OWN_ENV:
        env.pop(name, None)
    return env


class StatusReporter:
    """JSON lines on an inherited fd (IPCSCOPE_STATUS_FD); silent when absent or broken."""

    def __init__(self) -> None:
        self.fd = None
        value = os.environ.get("IPCSCOPE_STATUS_FD")
        if value and value.isdigit():
            try:
                fd = int(value)
                os.set_inheritable(fd, False)  # never leaks into the program
                self.fd = fd
            except OSError:
                self.fd = None

    def reaped(self, pid: int, status: int, program: bool) -> None:
        if self.fd is None:
            return
        code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else None
        sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
        line = {
            "event": "reaped", "pid": pid, "status": status, "exitCode": code, "signal": sig,
            "coreDumped": bool(os.WIFSIGNALED(status) and os.WCOREDUMP(status)),
            "adopted": not program, "program": program, "time": time.time(),
        }
        try:
            os.write(self.fd, (json.dumps(line) + "\n").encode())
        except OSError:
            self.fd = None  # the reader went away: stay quiet (fail-open)


def _in_foreground() -> bool:
    try:
        return os.tcgetpgrp(sys.stdin.fileno()) == os.getpgrp()
    except (OSError, ValueError, AttributeError):
        return False


def remaining_children() -> list[int]:
    try:
        with open(f"/proc/self/task/{os.getpid()}/children") as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


def exit_like(status: int) -> int:
    """Leaves the launcher the way the program left: same code, or the same fatal signal."""
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        try:
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # the program dumped core, not us
        except (ValueError, OSError):
            pass
        sys.stdout.flush()
        sys.stderr.flush()
        signal.signal(sig, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, [sig])
        os.kill(os.getpid(), sig)
        time.sleep(1)  # the signal arrives before this returns
        return 128 + sig
    return os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1


def main(argv: list[str]) -> int:
    if argv and argv[0] == "--":
        argv = argv[1:]
    elif argv and argv[0] in ("--version", "-V"):
        print(f"ipcscope {__version__}")
        return 0
    elif not argv or argv[0] in ("-h", "--help"):
        print(USAGE, file=sys.stderr if not argv else sys.stdout)
        return 2 if not argv else 0
    if argv[0] in ("-m", "-c"):
        if len(argv) < 2:
            what = "a module name" if argv[0] == "-m" else "the code to run"
            print(f"ipcscope: {argv[0]} needs {what}\n" + USAGE, file=sys.stderr)
            return 2
        command = [sys.executable, *argv]
    else:
        program = argv[0]
        if not os.path.exists(program):
            print(f"ipcscope: cannot run {program!r}: no such file", file=sys.stderr)
            return 2
        command = [sys.executable, program, *argv[1:]]

    # The signals we pass on, and SIGCHLD, are blocked here and taken with sigtimedwait: none can slip
    # in between a check and a blocking wait, as with handlers (a handler whose signal lands just before
    # waitpid() starts runs only once waitpid() returns, and the program never gets it). The program
    # starts with an empty mask, and inherits our dispositions untouched (an ignored SIGHUP stays ignored).
    signal.pthread_sigmask(signal.SIG_BLOCK, WAITED)
    set_subreaper()
    reporter = StatusReporter()
    env = child_environment()
    try:
        program_pid = os.posix_spawn(sys.executable, command, env, setsigmask=())
    except OSError as e:
        print(f"ipcscope: cannot start {sys.executable}: {e}", file=sys.stderr)
        return 127

    program_status = None
    while True:
        # Reap whatever has ended (one SIGCHLD may stand for several exits).
        try:
            while True:
                pid, status = os.waitpid(-1, os.WNOHANG)
                if pid == 0:
                    break
                is_program = pid == program_pid
                reporter.reaped(pid, status, is_program)
                if is_program:
                    program_status = status
        except ChildProcessError:
            break  # the program and every adopted orphan are gone
        info = signal.sigtimedwait(WAITED, 1.0)  # the timeout only bounds a wait nothing should need
        if info is None or info.si_signo == signal.SIGCHLD:
            continue
        # Ctrl+C in a terminal already reaches the program through the foreground process group.
        if info.si_signo == signal.SIGINT and _in_foreground():
            continue
        for pid in [program_pid] if program_status is None else remaining_children():
            try:
                os.kill(pid, info.si_signo)
            except ProcessLookupError:
                pass
    return exit_like(program_status if program_status is not None else 0)
