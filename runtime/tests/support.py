"""Helpers for the runtime tests: run the launcher and the examples as real processes.

Run all runtime tests with:  PYTHONPATH=runtime python3 -m unittest discover -s runtime/tests -t runtime
"""
import os
import subprocess
import sys
import time

RUNTIME = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO = os.path.dirname(RUNTIME)
EXAMPLES = os.path.join(REPO, "examples")


def env(**extra):
    e = dict(os.environ)
    e["PYTHONPATH"] = RUNTIME + (os.pathsep + e["PYTHONPATH"] if e.get("PYTHONPATH") else "")
    e.update(extra)
    return e


def example(name):
    return os.path.join(EXAMPLES, name)


def run_direct(args, timeout=60, **kw):
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=timeout, **kw)


def run_launched(args, timeout=60, **kw):
    kw.setdefault("env", env())
    return subprocess.run([sys.executable, "-m", "ipcscope", *args], capture_output=True, text=True, timeout=timeout, **kw)


def proc_stat(pid):
    """(state, ppid, num_threads) from /proc/PID/stat, or None when gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
    except OSError:
        return None
    return fields[0].decode(), int(fields[1]), int(fields[17])


def wait_for(pred, timeout=10.0, every=0.05):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = pred()
        if value:
            return value
        time.sleep(every)
    raise AssertionError("condition not met in time")
