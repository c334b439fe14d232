"""A program's tracebacks read the same with the hooks as without them: test/programs/failing_calls.py
makes 27 IPC calls fail, once plain and once with every hook module installed on a recording
transport, and each traceback's frames are compared.

    PYTHONPATH=runtime python3 -m unittest discover -s runtime/tests -t runtime
"""
import os
import re
import subprocess
import sys
import unittest

from tests.support import REPO, RUNTIME

PROGRAM = os.path.join(REPO, "test", "programs", "failing_calls.py")

# Installs every hook module as bootstrap does, on a transport that keeps nothing, then runs the program.
HOOKED = f"""
import os, runpy, sys
sys.path.insert(0, {RUNTIME!r})

class Transport:
    path = None
    def emit(self, *args, **kwargs): pass
    def add_sampler(self, fn): pass
    def flush(self, timeout=None): pass

t = Transport()
from ipcscope.hooks import blocking, managers, mp, oshooks, ospipes, pool, shared, sync
oshooks.install(t)
shared.install(t)
ospipes.install(t)
mp.install(t)
mp.install_queues(t)
oshooks.install_subprocess(t)
oshooks.install_mp_spawn(t)
for m in (sync, managers, pool, blocking):
    m.install(t)
sys.argv = [{PROGRAM!r}]
runpy.run_path({PROGRAM!r}, run_name="__main__")
"""

# Frames of a standard-library function that a hook re-implements rather than wraps (to keep the
# pickled bytes, or to take the lock once): the traceback has the hook's place instead, and loses it.
REPLACED = {
    "conn_recv_eof": ("connection.py", "recv"),
    "conn_send_closed": ("connection.py", "send"),
    "value_wrong_type": ("<string>", "setvalue"),
    "array_out_of_range": ("sharedctypes.py", "__setitem__"),
}

FRAME = re.compile(r'^  File "(.*)", line \d+, in (.*)$', re.M)


def tracebacks(out: str) -> dict:
    """case -> ([(file, function) of each frame], the exception's line)."""
    cases = {}
    for block in out.split("== ")[1:]:
        name, _, text = block.partition("\n")
        lines = text.strip().splitlines()
        cases[name] = ([(f, fn) for f, fn in FRAME.findall(text)], lines[-1] if lines else "")
    return cases


def run(args):
    p = subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        raise AssertionError(f"exit {p.returncode}: {p.stderr}")
    return tracebacks(p.stdout)


class Tracebacks(unittest.TestCase):
    def test_hooks_leave_no_trace_in_tracebacks(self):
        plain = run([PROGRAM])
        hooked = run(["-c", HOOKED])
        self.assertEqual(len(plain), 27)
        self.assertEqual(sorted(plain), sorted(hooked))
        ours = os.path.join(RUNTIME, "ipcscope") + os.sep
        for case, (frames, error) in plain.items():
            with self.subTest(case):
                got, got_error = hooked[case]
                self.assertNotEqual(error, "no error")
                self.assertEqual(got_error, error)
                if sys.version_info < (3, 11):
                    # 3.10's bare `raise` restores the traceback it caught: the hook's frames stay, and only they.
                    got = [f for f in got if not f[0].startswith(ours)]
                else:
                    self.assertFalse([f for f in got if f[0].startswith(ours)], "no frame of ipcscope")
                replaced = REPLACED.get(case)
                expected = [f for f in frames if (os.path.basename(f[0]), f[1]) != replaced]
                if replaced:
                    self.assertEqual(len(expected), len(frames) - 1, f"{replaced} is in the plain traceback")
                self.assertEqual(got, expected)


if __name__ == "__main__":
    unittest.main()
