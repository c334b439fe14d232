"""Every example runs to completion and shows what it teaches, directly and under the launcher.

    PYTHONPATH=runtime python3 -m unittest discover -s runtime/tests -t runtime
"""
import multiprocessing
import re
import subprocess
import sys
import unittest

from tests.support import env, example, proc_stat, run_direct, run_launched, wait_for

START_METHODS = [m for m in ("fork", "spawn", "forkserver") if m in multiprocessing.get_all_start_methods()]


class Examples(unittest.TestCase):
    def test_zombie_is_in_state_Z_until_reaped(self):
        p = subprocess.Popen([sys.executable, example("zombie.py"), "--hold", "1.5"], stdout=subprocess.PIPE, text=True)
        child = int(re.search(r"child pid (\d+)", p.stdout.readline()).group(1))
        state = wait_for(lambda: (s := proc_stat(child)) and s[0] == "Z" and s)
        self.assertEqual(state[1], p.pid)
        out, _ = p.communicate(timeout=10)
        p.stdout.close()
        self.assertIn(f"reaped child {child}: exit status 7", out)
        self.assertIsNone(proc_stat(child))

    def test_thread_leader_exit_shows_Z_with_threads(self):
        p = subprocess.Popen([sys.executable, example("thread_leader_exit.py"), "--hold", "1.5"], stdout=subprocess.PIPE, text=True)
        p.stdout.readline()
        state = wait_for(lambda: (s := proc_stat(p.pid)) and s[0] == "Z" and s)
        self.assertGreater(state[2], 1, "other threads still run: not a zombie process")
        out, _ = p.communicate(timeout=10)
        p.stdout.close()
        self.assertEqual(p.returncode, 0)
        self.assertIn("worker: done", out)

    def test_orphan_is_reparented(self):
        r = run_direct([example("orphan.py"), "--hold", "0.8", "--parent-delay", "0.2"])
        self.assertEqual(r.returncode, 0)
        # The child outlives the parent; its lines may come after run() returns, so only the parent's are certain.
        self.assertIn("exiting in 0.2 s without waiting", r.stdout)

    def test_double_fork_leaves_no_zombie(self):
        for runner in (run_direct, run_launched):
            r = runner([example("double_fork.py"), "--hold", "0.5"])
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertRegex(r.stdout, r"middle child \d+ exited with 0; grandchild pid \d+ lives on")

    def test_sigchld_ignored_leaves_no_zombies(self):
        r = run_direct([example("sigchld_ignored.py"), "--hold", "0.2"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"states \['gone', 'gone', 'gone'\]")
        self.assertIn("no child to collect", r.stdout)

    def test_sleeping_parent(self):
        r = run_launched([example("sleeping_parent.py"), "--hold", "0.3"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"child \d+ exited with 0")

    def test_pool_with_every_start_method(self):
        for method in START_METHODS:
            with self.subTest(start_method=method):
                r = run_launched([example("pool.py"), "--start-method", method, "--task-seconds", "0.01", "--tasks", "8"])
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertIn(f"pool of 4 workers ({method})", r.stdout)
                self.assertIn("apply_async(square, 7) = 49", r.stdout)
                self.assertIn("map: [0, 1, 4, 9, 16, 25, 36, 49]", r.stdout)
                self.assertIn("pool closed and joined", r.stdout)

    def test_process_attributes_and_exit_codes(self):
        for method in START_METHODS:
            with self.subTest(start_method=method):
                r = run_launched([example("process_attributes.py"), "--start-method", method, "--hold", "0.3"])
                self.assertEqual(r.returncode, 0, r.stderr)
                for line in ("returns-normally: exitcode 0", "sys-exit-3: exitcode 3", "raises: exitcode 1", "terminated: exitcode -15"):
                    self.assertIn(line, r.stdout)
                self.assertRegex(r.stdout, r"daemon-helper: pid \d+, alive True, daemon True")
                self.assertIn("RuntimeError", r.stderr)


if __name__ == "__main__":
    unittest.main()
