"""The sync, managers, pool and os pipe / socket hooks keep the program's semantics and report the
right events. Each case runs in a fresh interpreter with the hooks installed on a recording transport
(no hub), so nothing leaks into this process.

    PYTHONPATH=runtime python3 -m unittest discover -s runtime/tests -t runtime
"""
import json
import subprocess
import sys
import textwrap
import unittest

from tests.support import RUNTIME

PRELUDE = f"""
import json, os, sys
sys.path.insert(0, {RUNTIME!r})

import tempfile
from ipcscope.sites import resolve

class Recorder:
    path = os.path.join(tempfile.mkdtemp(), "hub.sock")
    def __init__(self):
        self.events = []
    def emit(self, kind, ch="", loc=None, size=-1, pv=b"", pf="", x=None, ts=None):
        loc = resolve(loc)  # a site, as the sender thread would send it
        self.events.append({{"k": kind, "ch": ch, "loc": loc and os.path.basename(loc[0]), "size": size,
                             "pv": bytes(pv).decode("latin1"), "pf": pf, "x": x}})
    def kinds(self, prefix=""):
        return [e["k"] for e in self.events if e["k"].startswith(prefix)]

T = Recorder()
from ipcscope.hooks import sync, managers, pool, ospipes
for m in (sync, managers, pool, ospipes):
    m.install(T)
import socket  # the socket hooks install when socket is imported
out = {{}}
"""


def run(body: str, *args: str) -> dict:
    code = PRELUDE + textwrap.dedent(body) + "\nprint(json.dumps(out))\n"
    p = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        raise AssertionError(f"exit {p.returncode}: {p.stderr}")
    return json.loads(p.stdout.strip().splitlines()[-1])


class SyncHooks(unittest.TestCase):
    def test_lock_semantics_are_unchanged(self):
        out = run("""
            import multiprocessing as mp, time
            ctx = mp.get_context("spawn")
            lock = ctx.Lock()
            out["wrapped"] = type(lock.acquire).__name__
            out["tid"] = __import__("threading").get_native_id()
            # The /dev/shm file the kernel shows the semaphore mapped from (glibc's temporary name).
            out["sem_inode"] = next(int(l.split()[4]) for l in open("/proc/self/maps") if "/dev/shm/sem." in l
                                    and int(l.split("-")[0], 16) <= lock._semlock.handle < int(l.split()[0].split("-")[1], 16))
            out["first"] = lock.acquire()
            out["nonblocking_when_held"] = lock.acquire(False)
            out["blocking_false_kw"] = lock.acquire(block=False)
            t0 = time.monotonic()
            out["timeout"] = lock.acquire(timeout=0.2)
            out["waited"] = time.monotonic() - t0
            lock.release()
            try:
                lock.release()
            except ValueError as e:
                out["over_release"] = str(e)
            with lock:
                out["inside_with"] = lock._semlock._get_value()
            out["after_with"] = lock._semlock._get_value()
            r = ctx.RLock()
            out["rlock"] = [r.acquire(), r.acquire(), r._semlock._count()]
            r.release(); r.release()
            try:
                r.release()
            except AssertionError as e:
                out["rlock_over_release"] = type(e).__name__
            b = ctx.BoundedSemaphore(2)
            try:
                b.release()
            except ValueError as e:
                out["bounded"] = str(e)
            s = ctx.Semaphore(0)
            out["sem_timeout"] = s.acquire(True, 0.05)
            out["sem_negative_timeout"] = s.acquire(timeout=-1)
            out["events"] = T.events
        """)
        self.assertEqual(out["wrapped"], "function")
        self.assertIs(out["first"], True)
        self.assertIs(out["nonblocking_when_held"], False)
        self.assertIs(out["blocking_false_kw"], False)
        self.assertIs(out["timeout"], False)
        self.assertGreaterEqual(out["waited"], 0.18)
        self.assertIn("released too many times", out["over_release"])
        self.assertEqual((out["inside_with"], out["after_with"]), (0, 1))
        self.assertEqual(out["rlock"], [True, True, 2])
        self.assertEqual(out["rlock_over_release"], "AssertionError")
        self.assertIn("released too many times", out["bounded"])
        self.assertIs(out["sem_timeout"], False)
        self.assertIs(out["sem_negative_timeout"], False)
        ev = out["events"]
        lock_ch = ev[0]["ch"]
        self.assertTrue(lock_ch.startswith("sem:/mp-") and lock_ch.endswith(".ipcsL"), lock_ch)
        self.assertEqual(ev[0]["k"], "sync.new")
        self.assertEqual(ev[0]["x"], {"type": "Lock", "value": 1, "maxvalue": 1, "inode": out["sem_inode"]})
        self.assertEqual(ev[0]["loc"], "<string>")
        on_lock = [(e["k"], e["x"]) for e in ev if e["ch"] == lock_ch][1:]
        self.assertEqual(on_lock[0], ("sync.acquire", {"value": 0, "waitedNs": 0}))
        # acquire(False) twice: nothing; acquire(timeout=0.2): a block, then a timeout
        self.assertEqual(on_lock[1], ("sync.block", {"value": 0, "tid": out["tid"]}), "with the blocked thread's native id")
        self.assertEqual(on_lock[2], ("sync.op", {"op": "timeout"}))
        self.assertEqual(on_lock[3], ("sync.release", {"value": 1}))
        self.assertEqual([k for k, _ in on_lock[4:]], ["sync.acquire", "sync.release"], "the with block; a failed release is not reported")
        types = [e["x"]["type"] for e in ev if e["k"] == "sync.new"]
        self.assertEqual(types, ["Lock", "RLock", "BoundedSemaphore", "Semaphore"])

    def test_internal_locks_are_untouched(self):
        out = run("""
            import multiprocessing as mp
            for method in ("fork", "spawn"):
                ctx = mp.get_context(method)
                q = ctx.Queue()
                sq = ctx.SimpleQueue()
                v = ctx.Value("i", 0)
                ev = ctx.Event()
                c = ctx.Condition()
                out[method] = [type(x.acquire).__name__ for x in (q._rlock, q._wlock, q._sem, sq._rlock, v.get_lock(),
                                                                    ev._cond._lock, c._sleeping_count, c._wait_semaphore)]
                out[method + " names"] = [x._semlock.name for x in (q._rlock, ev._cond._lock, c._wait_semaphore)]
            out["new"] = [e["x"]["type"] for e in T.events if e["k"] == "sync.new"]
        """)
        for method in ("fork", "spawn"):
            self.assertEqual(out[method], ["builtin_function_or_method"] * 8, method)
        for name in out["spawn names"]:
            self.assertNotIn(".ipcs", name)
        self.assertEqual(out["new"], ["Event", "Condition", "Event", "Condition"])

    def test_a_rebuilt_lock_is_still_reported(self):
        # What a spawn or forkserver child does with a pickled lock: SemLock.__setstate__.
        out = run("""
            import multiprocessing as mp
            from multiprocessing import synchronize
            ctx = mp.get_context("spawn")
            lock = ctx.Lock()
            q = ctx.Queue()
            state = (lock._semlock.handle, lock._semlock.kind, lock._semlock.maxvalue, lock._semlock.name)
            copy = synchronize.Lock.__new__(synchronize.Lock)
            copy.__setstate__(state)
            inner = synchronize.Lock.__new__(synchronize.Lock)
            s = q._rlock._semlock
            inner.__setstate__((s.handle, s.kind, s.maxvalue, s.name))
            out["wrapped"] = [type(copy.acquire).__name__, type(inner.acquire).__name__]
            with copy:
                pass
            out["chs"] = [lock._ipcscope_ch, copy._ipcscope_ch]
            out["events"] = [(e["k"], e["ch"]) for e in T.events]
        """)
        self.assertEqual(out["wrapped"], ["function", "builtin_function_or_method"])
        self.assertEqual(out["chs"][0], out["chs"][1])
        self.assertEqual(out["events"][-2:], [["sync.acquire", out["chs"][0]], ["sync.release", out["chs"][0]]])

    def test_condition_event_barrier_ops(self):
        out = run("""
            import multiprocessing as mp, threading
            ctx = mp.get_context("fork")
            c = ctx.Condition()
            e = ctx.Event()
            b = ctx.Barrier(2)
            with c:
                out["wait"] = c.wait(0.05)
                c.notify()
                c.notify_all()
            out["event_wait_unset"] = e.wait(0.05)
            e.set()
            out["is_set"] = e.is_set()
            out["event_wait_set"] = e.wait(0)
            e.clear()
            t = threading.Thread(target=b.wait)
            t.start()
            out["barrier"] = b.wait(5) in (0, 1)
            t.join()
            out["ops"] = [(e["ch"][-6:], e["x"]) for e in T.events if e["k"] in ("sync.op", "sync.new")]
        """)
        self.assertIs(out["wait"], False)
        self.assertIs(out["event_wait_unset"], False)
        self.assertIs(out["is_set"], True)
        self.assertIs(out["event_wait_set"], True)
        self.assertTrue(out["barrier"])
        ops = [(ch, x.get("op") or x.get("type"), x.get("flag")) for ch, x in out["ops"]]
        self.assertEqual(ops, [
            (".ipcsC", "Condition", None), (".ipcsE", "Event", None), (".ipcsB", "Barrier", None),
            (".ipcsC", "wait", None), (".ipcsC", "timeout", None), (".ipcsC", "notify", None), (".ipcsC", "notify_all", None),
            (".ipcsE", "wait", False), (".ipcsE", "timeout", False), (".ipcsE", "set", True), (".ipcsE", "wait", True),
            (".ipcsE", "clear", False), (".ipcsB", "wait", None), (".ipcsB", "wait", None),
        ])


class PipeAndSocketHooks(unittest.TestCase):
    def test_os_pipe_read_write_dup2_close(self):
        out = run("""
            r, w = os.pipe()
            out["n"] = os.write(w, b"hello")
            out["data"] = os.read(r, 100).decode()
            other = os.open(os.devnull, os.O_WRONLY)
            os.write(other, b"not reported")
            os.close(other)
            r2 = os.dup(r)
            os.write(w, b"x")
            out["dup"] = os.read(r2, 1).decode()
            os.dup2(other2 := os.open(os.devnull, os.O_RDONLY), r2)  # r2 now /dev/null: forgotten
            os.read(r2, 1)
            os.close(other2)
            os.close(w)
            out["eof"] = os.read(r, 1).decode()
            os.close(r)
            os.close(r2)
            a, b = os.pipe2(os.O_CLOEXEC)
            os.write(b, b"p2")
            out["events"] = [(e["k"], e["ch"], e["size"], e["pv"], e["x"]) for e in T.events]
            out["pipe2"] = a
        """)
        self.assertEqual((out["n"], out["data"], out["dup"], out["eof"]), (5, "hello", "x", ""))
        ev = out["events"]
        ch = ev[0][1]
        self.assertEqual(ev[0][0], "os.pipe")
        self.assertRegex(ch, r"^pipe:\d+$")
        self.assertEqual([tuple(e[:4]) for e in ev[1:5]], [
            ("pipe.write", ch, 5, "hello"), ("pipe.read", ch, 5, "hello"), ("pipe.write", ch, 1, "x"), ("pipe.read", ch, 1, "x")])
        self.assertEqual(ev[5][0], "os.pipe")
        self.assertEqual(ev[5][4]["read"], out["pipe2"])
        self.assertEqual(tuple(ev[6][:4]), ("pipe.write", ev[5][1], 2, "p2"))
        self.assertEqual(len(ev), 7)

    def test_fifo_creation_and_unlink(self):
        out = run("""
            d = tempfile.mkdtemp()
            os.chdir(d)
            os.mkfifo("a.fifo")
            with open("plain.txt", "w"):
                pass
            os.unlink("plain.txt")  # not a FIFO: not reported
            os.remove("a.fifo")
            try:
                os.unlink("a.fifo")
            except FileNotFoundError as e:
                out["missing"] = e.errno
            out["dir"] = d
            os.rmdir(d)
            out["events"] = [(e["k"], e["ch"], e["x"]) for e in T.events]
        """)
        made, removed = out["events"]
        self.assertEqual(made[0], "os.mkfifo")
        self.assertEqual(made[2], {"path": "a.fifo", "abspath": out["dir"] + "/a.fifo"})
        self.assertEqual(removed, ["fifo.unlink", made[1], {"path": "a.fifo"}])
        self.assertEqual(out["missing"], 2)

    def test_library_pipes_are_not_reported(self):
        out = run("""
            import multiprocessing as mp, subprocess
            a, b = mp.Pipe(duplex=False)
            b.send_bytes(b"x"); a.recv_bytes()
            subprocess.run([sys.executable, "-c", "pass"], stdout=subprocess.PIPE)
            out["events"] = T.events
        """)
        self.assertEqual(out["events"], [])

    def test_socketpair_and_unknown_sockets(self):
        out = run("""
            import _socket
            a, b = socket.socketpair()
            a.sendall(b"ping")
            out["recv"] = b.recv(10).decode()
            b.send(b"pong")
            buf = bytearray(10)
            out["into"] = a.recv_into(buf)
            c, d = _socket.socketpair() if hasattr(_socket, "socketpair") else (None, None)
            lone = socket.socket()
            lone.close()
            out["events"] = [(e["k"], e["ch"], e["size"], e["pv"]) for e in T.events]
        """)
        self.assertEqual((out["recv"], out["into"]), ("ping", 4))
        ev = out["events"]
        self.assertEqual(ev[0][0], "socket.new")
        self.assertRegex(ev[0][1], r"^sock:\d+-\d+$")
        self.assertEqual(ev[1:], [["socket.send", ev[0][1], 4, "ping"], ["socket.recv", ev[0][1], 4, "ping"],
                                  ["socket.send", ev[0][1], 4, "pong"], ["socket.recv", ev[0][1], 4, "pong"]])

    def test_tcp_connection_and_the_hub_address(self):
        out = run("""
            srv = socket.create_server(("127.0.0.1", 0))
            cli = socket.create_connection(srv.getsockname())
            conn, _ = srv.accept()
            cli.sendall(b"hi")
            out["got"] = conn.recv(2).decode()
            hub = socket.socket(socket.AF_UNIX)
            hub.bind(T.path)
            hub.listen()
            u = socket.socket(socket.AF_UNIX)
            u.connect(T.path)  # the hub's address: never tracked
            u.sendall(b"not reported")
            out["events"] = [(e["k"], e["ch"], e["loc"]) for e in T.events]
            out["ends"] = sorted(f"127.0.0.1:{p}" for p in (cli.getsockname()[1], srv.getsockname()[1]))
        """)
        ch = "tcp:" + "|".join(out["ends"])
        self.assertEqual(out["got"], "hi")
        self.assertEqual([tuple(e) for e in out["events"]], [
            ("socket.new", ch, "<string>"), ("socket.new", ch, "<string>"), ("socket.send", ch, "<string>"), ("socket.recv", ch, "<string>")])


class ManagerAndPoolHooks(unittest.TestCase):
    def test_manager_calls_and_states(self):
        out = run("""
            import multiprocessing as mp
            if __name__ == "__main__":
                # Server side in this process too: a fork-started manager inherits the hooks, but its
                # events go to its own copy of the recorder, so run the server here instead.
                from multiprocessing.managers import SyncManager
                m = SyncManager(ctx=mp.get_context("fork"))
                m.start()
                lst = m.list([1])
                lst.append(2)
                out["value"] = lst[:]
                out["calls"] = [(e["x"]["method"], e["pv"][-8:]) for e in T.events if e["k"] == "manager.call"]
                out["ch"] = [e["ch"] for e in T.events if e["k"] == "manager.call"][0]
                out["token"] = f"manager:{lst._token.address}:{lst._token.id}"
                m.shutdown()
        """)
        self.assertEqual(out["value"], [1, 2])
        self.assertEqual([c[0] for c in out["calls"]], ["append", "__getitem__"])
        self.assertEqual(out["ch"], out["token"])

    def test_manager_server_state_after_mutators(self):
        out = run("""
            from multiprocessing import managers
            from multiprocessing.managers import Server, SyncManager, Namespace
            import pickle
            import threading
            srv = Server(SyncManager._registry, ("127.0.0.1", 0), b"key", "pickle")
            srv.stop_event = threading.Event()  # as serve_forever() would
            ident, _ = srv.create(None, "list", [3, 1])
            ns_ident, _ = srv.create(None, "Namespace")
            class Conn:
                def __init__(self, requests): self.requests, self.sent = list(requests), []
                def recv(self):
                    if not self.requests: raise EOFError
                    return self.requests.pop(0)
                def send(self, msg): self.sent.append(msg)
                def close(self): pass
            conn = Conn([(ident, "append", (2,), {}), (ident, "__len__", (), {}), (ident, "sort", (), {}),
                         (ns_ident, "__setattr__", ("x", 5), {})])
            try:
                srv.serve_client(conn)
            except SystemExit:
                pass
            out["sent"] = [m[0] for m in conn.sent]
            states = [e for e in T.events if e["k"] == "manager.state"]
            # Compared as bytes: nothing is unpickled.
            expected = [[3, 1], {}, [3, 1, 2], [1, 2, 3], {"x": 5}]
            out["states"] = [(e["x"]["typeid"], e["x"]["length"], e["size"] == len(pickle.dumps(v)) and e["pv"].encode("latin1") == pickle.dumps(v))
                             for e, v in zip(states, expected)]
            out["count"] = len(states)
            out["ch"] = states[0]["ch"]
            out["expect_ch"] = f"manager:127.0.0.1:{srv.address[1]}:{ident}"
        """)
        self.assertEqual(out["sent"], ["#RETURN"] * 4)
        self.assertEqual(out["count"], 5, "creations and the 3 changes, not __len__")
        self.assertEqual([tuple(s) for s in out["states"]], [
            ("list", 2, True), ("Namespace", 0, True), ("list", 3, True), ("list", 3, True), ("Namespace", 1, True)])
        self.assertEqual(out["ch"], out["expect_ch"])

    def test_pool_new(self):
        out = run("""
            import multiprocessing as mp
            from multiprocessing.pool import ThreadPool
            if __name__ == "__main__":
                with mp.get_context("fork").Pool(2) as p:
                    out["squares"] = p.map(abs, [-1, -2])
                with ThreadPool(2) as tp:
                    tp.map(abs, [1])
                out["pools"] = [(e["ch"].split(":")[0], e["x"]) for e in T.events if e["k"] == "pool.new"]
        """)
        self.assertEqual(out["squares"], [1, 2])
        self.assertEqual(len(out["pools"]), 1, "a ThreadPool is not IPC")
        kind, x = out["pools"][0]
        self.assertEqual((kind, x["processes"]), ("pool", 2))
        self.assertEqual((x["tasks"], x["results"]), ("", ""), "no queue channels without hooks/mp.py installed")



class ChildProcessHooks(unittest.TestCase):
    def test_children_started_by_exec_are_reported_once_with_how_and_where(self):
        out = run("""
            from ipcscope.hooks import oshooks
            oshooks.install(T)
            oshooks.install_subprocess()
            oshooks.install_mp_spawn()
            oshooks.install_forkserver()
            import subprocess, multiprocessing as mp
            pid = os.posix_spawn(sys.executable, [sys.executable, "-c", "pass"], dict(os.environ))
            os.waitpid(pid, 0)
            p = subprocess.Popen([sys.executable, "-c", "pass"], close_fds=False)  # subprocess may posix_spawn itself
            p.wait()
            subprocess.run([sys.executable, "-c", "pass"], check=True)
            w = mp.get_context("spawn").Process(target=os.getpid)
            w.start()
            w.join()
            f = mp.get_context("forkserver").Process(target=os.getpid)
            f.start()
            f.join()
            out["pids"] = {"posix_spawn": pid, "subprocess": p.pid, "spawn": w.pid, "forkserver": f.pid}
            out["spawns"] = [(e["x"]["via"], e["x"]["child"], e["x"]["start"], e["loc"]) for e in T.events if e["k"] == "process.spawn"]
            out["forks"] = T.kinds("os.fork")
        """)
        spawns = out["spawns"]
        by_via = {}
        for via, child, start, loc in spawns:
            by_via.setdefault(via, []).append(child)
            # The forkserver's child is not this process's: it can run, exit and be reaped by the forkserver
            # before this process learns its pid, and then its start time is gone (0, as start_ticks says).
            if via != "forkserver":
                self.assertGreater(start, 0, spawns)
            if via not in ("resource_tracker", "forkserver_server"):
                self.assertEqual(loc, "<string>", spawns)  # the user's line, not subprocess's or multiprocessing's
        self.assertEqual(by_via["posix_spawn"], [out["pids"]["posix_spawn"]], spawns)
        self.assertEqual(len(by_via["subprocess"]), 2, spawns)
        self.assertEqual(by_via["subprocess"][0], out["pids"]["subprocess"])
        self.assertEqual(by_via["spawn"], [out["pids"]["spawn"]], spawns)
        # The forkserver's child, reported by this process at its start() line; the forkserver itself, as a helper.
        self.assertEqual(by_via["forkserver"], [out["pids"]["forkserver"]], spawns)
        self.assertEqual(len(by_via["forkserver_server"]), 1, spawns)
        self.assertLessEqual(set(by_via), {"posix_spawn", "subprocess", "spawn", "forkserver", "resource_tracker", "forkserver_server"})
        self.assertEqual(out["forks"], [])  # nothing was forked by os.fork here

    def test_installed_twice_reports_once(self):
        out = run("""
            from ipcscope.hooks import oshooks
            oshooks.install(T)
            for _ in range(2):
                oshooks.install_subprocess()
                oshooks.install_mp_spawn()
                oshooks.install_forkserver()
            import subprocess
            subprocess.run([sys.executable, "-c", "pass"], check=True)
            out["spawns"] = T.kinds("process.spawn")
        """)
        self.assertEqual(out["spawns"], ["process.spawn"])


class SemaphoreInodes(unittest.TestCase):
    def test_map_files_and_the_maps_scan_agree(self):
        out = run("""
            import multiprocessing as mp
            from ipcscope.hooks import sync as s
            locks = [mp.Lock()._semlock for _ in range(200)] + [mp.Semaphore(3)._semlock, mp.Queue()._sem._semlock]
            fast = s.sem_inodes(locks)
            real_stat = os.stat
            def no_map_files(p, *a, **k):
                if str(p).startswith("/proc/self/map_files/"):
                    raise PermissionError(p)
                return real_stat(p, *a, **k)
            os.stat = no_map_files
            slow = s.sem_inodes(locks)
            out["fast"], out["slow"] = fast, slow
        """)
        self.assertNotIn(None, out["fast"])  # past the fallback's cap of 128 scans too
        self.assertEqual(len(set(out["fast"])), 202)
        self.assertEqual(out["fast"], out["slow"])


if __name__ == "__main__":
    unittest.main()
