"""The launcher (`python -m ipcscope program.py`) is transparent and keeps orphans in view.

    PYTHONPATH=runtime python3 -m unittest discover -s runtime/tests -t runtime
"""
import atexit
import json
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest

from tests.support import RUNTIME, env, example, proc_stat, run_direct, run_launched


def script(body):
    f = tempfile.NamedTemporaryFile("w", suffix=".py", delete=False)
    f.write(textwrap.dedent(body))
    f.close()
    atexit.register(os.unlink, f.name)
    return f.name


class Transparency(unittest.TestCase):
    def test_same_output_and_exit_code(self):
        prog = script("""
            import sys
            print("out", sys.argv[1:], flush=True)
            print("err", file=sys.stderr)
            sys.exit(5)
        """)
        direct = run_direct([prog, "a b", "(c)"])
        launched = run_launched([prog, "a b", "(c)"])
        self.assertEqual(direct.returncode, 5)
        self.assertEqual((launched.returncode, launched.stdout, launched.stderr), (direct.returncode, direct.stdout, direct.stderr))

    def test_death_by_signal_is_passed_on(self):
        prog = script("""
            import os, signal
            os.kill(os.getpid(), signal.SIGTERM)
        """)
        self.assertEqual(run_direct([prog]).returncode, -signal.SIGTERM)
        self.assertEqual(run_launched([prog]).returncode, -signal.SIGTERM)

    def test_program_sees_no_trace_of_the_launcher(self):
        prog = script("""
            import json, os, sys
            fds = sorted(int(x) for x in os.listdir("/proc/self/fd"))
            print(json.dumps({"fds": fds, "path": os.environ.get("PYTHONPATH"), "own": [k for k in os.environ if k.startswith("IPCSCOPE_")], "argv0": sys.argv[0]}))
        """)
        r, w = os.pipe()
        try:
            launched = run_launched([prog], env=env(IPCSCOPE_RUNTIME_DIR=RUNTIME, IPCSCOPE_STATUS_FD=str(w)), pass_fds=(w,))
        finally:
            os.close(w)
            os.close(r)
        seen = json.loads(launched.stdout)
        direct = json.loads(run_direct([prog]).stdout)
        self.assertEqual(seen["fds"], direct["fds"], "no extra fd leaks into the program")
        self.assertIsNone(seen["path"], "the runtime dir is removed from PYTHONPATH")
        self.assertEqual(seen["own"], [])
        self.assertEqual(seen["argv0"], prog)

    def test_stdin_reaches_the_program(self):
        prog = script("""
            import sys
            print(sys.stdin.read().upper(), end="")
        """)
        launched = run_launched([prog], input="hello\n")
        self.assertEqual(launched.stdout, "HELLO\n")

    def test_clear_errors(self):
        missing = run_launched(["/nonexistent/prog.py"])
        self.assertEqual(missing.returncode, 2)
        self.assertIn("no such file", missing.stderr)
        self.assertEqual(run_launched([]).returncode, 2)
        version = run_launched(["--version"])
        self.assertEqual(version.returncode, 0)
        self.assertRegex(version.stdout, r"^ipcscope \d+\.\d+\.\d+")

    def test_module_form(self):
        launched = run_launched(["-m", "json.tool"], input='{"a": 1}')
        self.assertEqual(launched.returncode, 0)
        self.assertIn('"a": 1', launched.stdout)

    def test_code_form(self):
        launched = run_launched(["-c", "import sys; print(sys.argv[1:]); sys.exit(5)", "x", "-y"])
        self.assertEqual(launched.returncode, 5)
        self.assertEqual(launched.stdout.strip(), "['x', '-y']")
        self.assertEqual(run_launched(["-c"]).returncode, 2)


class Subreaper(unittest.TestCase):
    def test_orphan_is_adopted_by_the_launcher_and_reported(self):
        r, w = os.pipe()
        launcher = subprocess.Popen(
            [sys.executable, "-m", "ipcscope", example("orphan.py"), "--hold", "1.5", "--parent-delay", "0.3"],
            env=env(IPCSCOPE_STATUS_FD=str(w)), pass_fds=(w,), stdout=subprocess.PIPE, text=True,
        )
        os.close(w)
        out, _ = launcher.communicate(timeout=30)
        launcher.stdout.close()
        with os.fdopen(r) as f:
            events = [json.loads(line) for line in f.read().splitlines()]
        self.assertEqual(launcher.returncode, 0)
        self.assertIn(f"re-parented to {launcher.pid}", out)
        program = [e for e in events if e["program"]]
        adopted = [e for e in events if e["adopted"]]
        self.assertEqual(len(program), 1)
        self.assertEqual(program[0]["exitCode"], 0)
        self.assertEqual(len(adopted), 1, events)
        self.assertEqual(adopted[0]["exitCode"], 0)
        self.assertLess(program[0]["time"], adopted[0]["time"], "the launcher outlives the program until the orphan is done")

    def test_sigterm_is_forwarded(self):
        # Short sleeps, not one long one: CPython 3.10's time.sleep() does not look for a signal that landed
        # after the print and before its select() began, and runs the handler only when the sleep ends. Seen
        # as "no end" in 2 of 39 runs of this module on 3.10: the SIGTERM forwarded, the program's handler in
        # place, nothing pending, the program asleep in select(). (The launcher, a third process woken at that
        # moment, makes it likelier that the program is preempted there: plain python3.10 sent its SIGTERM
        # on "ready" never slept on in 600 tries.) With short sleeps: 60 of 60 runs passed.
        prog = script("""
            import signal, sys, time
            signal.signal(signal.SIGTERM, lambda *a: (print("got SIGTERM", flush=True), sys.exit(9)))
            print("ready", flush=True)
            for _ in range(600):
                time.sleep(0.05)
        """)
        p = subprocess.Popen([sys.executable, "-m", "ipcscope", prog], env=env(), stdout=subprocess.PIPE, text=True)
        self.addCleanup(_kill_group, p)
        self.assertEqual(p.stdout.readline().strip(), "ready")
        p.send_signal(signal.SIGTERM)
        try:
            out, _ = p.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            # Say what the launcher and the program were doing.
            self.fail(f"no end 10 s after the SIGTERM; launcher status {p.poll()}; " + _signal_states([p.pid, *_children(p.pid)]))
        p.stdout.close()
        self.assertIn("got SIGTERM", out)
        self.assertEqual(p.returncode, 9)

    def test_a_sigterm_at_any_moment_of_start_up_ends_the_run(self):
        # Sent while the launcher starts, spawns the program or has just begun to wait: the program
        # is never left running without its launcher, and the launcher never waits on for it.
        prog = script('''
            import time
            time.sleep(30)
        ''')
        for i in range(24):
            p = subprocess.Popen([sys.executable, "-m", "ipcscope", prog], env=env(), start_new_session=True)
            self.addCleanup(_kill_group, p)
            time.sleep(i * 0.004)
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.fail(f"the launcher did not end {i * 4} ms after a SIGTERM")
            self.assertEqual(p.returncode, -signal.SIGTERM)
            self.assertEqual(_group_members(p.pid), [], "nothing of the run is left")

    def test_an_ignored_sighup_stays_ignored_in_the_program(self):
        prog = script('''
            import signal
            print(signal.getsignal(signal.SIGHUP) == signal.SIG_IGN, signal.pthread_sigmask(signal.SIG_BLOCK, []))
        ''')
        direct = subprocess.run([sys.executable, prog], capture_output=True, text=True, preexec_fn=_ignore_sighup)
        launched = subprocess.run([sys.executable, "-m", "ipcscope", prog], env=env(), capture_output=True, text=True,
                                  preexec_fn=_ignore_sighup)
        self.assertEqual(direct.stdout, "True set()\n")
        self.assertEqual(launched.stdout, direct.stdout, "the same dispositions and an empty signal mask")


def _children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(c) for c in f.read().split()]
    except OSError:
        return []


def _signal_states(pids):
    """Each process's state, threads, signal masks (pending, blocked, ignored, caught) and wait channel."""
    out = []
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as f:
                fields = dict(line.split(":\t", 1) for line in f.read().splitlines() if ":\t" in line)
            with open(f"/proc/{pid}/wchan") as f:
                wchan = f.read()
        except OSError:
            out.append(f"{pid}: gone")
            continue
        keys = ("State", "PPid", "Threads", "SigPnd", "ShdPnd", "SigBlk", "SigIgn", "SigCgt")
        out.append(f"{pid}: " + ", ".join(f"{k} {fields.get(k, '?').strip()}" for k in keys) + f", wchan {wchan}")
    return "; ".join(out)


def _ignore_sighup():
    signal.signal(signal.SIGHUP, signal.SIG_IGN)


def _group_members(pgid):
    """The live (not zombie) processes of process group pgid."""
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            in_group = os.getpgid(int(name)) == pgid
        except OSError:
            continue  # gone
        st = proc_stat(name)
        if in_group and st is not None and st[0] != "Z":
            out.append(int(name))
    return out


def _kill_group(p):
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        p.kill()
        p.wait(timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        pass
    if p.stdout:
        p.stdout.close()


if __name__ == "__main__":
    unittest.main()
