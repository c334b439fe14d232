"""Shared-state hooks (ipcscope/hooks/shared.py) with a recording transport, each case in a fresh interpreter.

    PYTHONPATH=runtime python3 -m unittest discover -s runtime/tests -t runtime
"""
import json
import subprocess
import sys
import textwrap
import unittest

from tests.support import RUNTIME

PRELUDE = textwrap.dedent(
    """
    import json, os, sys
    sys.path.insert(0, %r)
    from ipcscope.hooks import shared
    from ipcscope.sites import resolve

    class Recorder:
        def __init__(self):
            self.events, self.samplers, self.added, self.fail = [], [], 0, False

        def emit(self, kind, ch="", loc=None, size=-1, pv=b"", pf="", x=None, ts=None):
            if self.fail:
                raise RuntimeError("emit fails")
            assert type(pv) is bytes and len(pv) <= 4096, pv
            loc = resolve(loc)  # a site, as the sender thread would send it
            self.events.append([kind, ch, loc and [os.path.basename(loc[0]), loc[1]], size, pv.hex(), pf, x])

        def add_sampler(self, fn):
            self.samplers.append(fn)
            self.added += 1

        def sample(self):
            for fn in list(self.samplers):
                fn()

    t = Recorder()
    shared.install(t)

    def out(**kw):
        print(json.dumps(dict(events=t.events, **kw)))
    """
    % RUNTIME
)


def run(code: str):
    r = subprocess.run([sys.executable, "-c", PRELUDE + textwrap.dedent(code)], capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise AssertionError(f"exit {r.returncode}: {r.stderr}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def of(events, kind):
    return [e for e in events if e[0] == kind]


class SharedHooks(unittest.TestCase):
    def test_hooked_only_once_imported(self):
        r = run("""
            before = [m for m in ("ctypes", "multiprocessing.sharedctypes", "multiprocessing.shared_memory", "mmap") if m in sys.modules]
            import pickle
            from multiprocessing import sharedctypes as sc, shared_memory as sm
            import mmap
            out(before=before, rebuild=sc.rebuild_ctype.__module__ + "." + sc.rebuild_ctype.__qualname__,
                by_reference=pickle.loads(pickle.dumps(sc.rebuild_ctype)) is sc.rebuild_ctype,
                hooked=[hasattr(sc.Value, "__wrapped__"), sm.SharedMemory.__init__.__module__, mmap.mmap is not shared.original_mmap])
        """)
        self.assertEqual(r["before"], [], "nothing imported for the hooks' sake")
        self.assertEqual(r["rebuild"], "multiprocessing.sharedctypes.rebuild_ctype")
        self.assertTrue(r["by_reference"], "reduce_ctype still pickles rebuild_ctype by its own name")
        self.assertEqual(r["hooked"], [True, "multiprocessing.shared_memory", True])

    def test_value_and_array_writes(self):
        r = run("""
            import multiprocessing as mp
            v = mp.Value("i", 7)
            v.value = 9
            v.value += 1
            d = mp.Value("d", 0.5)
            d.value = float("inf")
            a = mp.Array("i", 5)
            a[-1] = 3
            a[1:4:2] = [8, 9]
            a[::-1] = [1, 2, 3, 4, 5]
            s = mp.Array("c", b"abcd")
            s.value = b"xy"
            s.raw = b"WXYZ"
            s[0] = b"q"
            c = mp.Value("c", b"k")
            c.value = b"z"
            out(values=[v.value, list(a), s.raw.decode(), c.value.decode()])
        """)
        ev = r["events"]
        news = of(ev, "shared.new")
        self.assertEqual([e[6] for e in news], [
            {"type": "Value", "typecode": "i", "length": 1, "itemsize": 4, "lock": True},
            {"type": "Value", "typecode": "d", "length": 1, "itemsize": 8, "lock": True},
            {"type": "Array", "typecode": "i", "length": 5, "itemsize": 4, "lock": True},
            {"type": "Array", "typecode": "c", "length": 4, "itemsize": 1, "lock": True},
            {"type": "Value", "typecode": "c", "length": 1, "itemsize": 1, "lock": True},
        ])
        self.assertEqual([(e[3], e[4], e[5]) for e in news[:1]], [(4, "07000000", "bytes")])
        self.assertTrue(all(e[1].startswith("shared:") and e[2][0] == "<string>" for e in news))
        self.assertEqual(len({e[1] for e in news}), 5)
        v, d, a, s, c = (e[1] for e in news)
        writes = [(e[1], e[3], e[4], e[6]) for e in of(ev, "shared.write")]
        self.assertEqual(writes, [
            (v, 4, "09000000", {"offset": 0, "index": 0, "value": 9}),
            (v, 4, "0a000000", {"offset": 0, "index": 0, "value": 10}),
            (d, 8, "000000000000f07f", {"offset": 0, "index": 0, "value": float("inf")}),
            (a, 4, "03000000", {"offset": 16, "index": 4, "value": 3}),
            (a, 12, "080000000000000009000000", {"offset": 4, "index": 1}),  # an extended slice: the span it covers
            (a, 20, "0500000004000000030000000200000001000000", {"offset": 0, "index": 0}),  # memory order
            (s, 3, "787900", {"offset": 0, "index": 0, "value": "xy"}),
            (s, 4, "5758595a", {"offset": 0, "index": 0, "value": "WXYZ"}),
            (s, 1, "71", {"offset": 0, "index": 0, "value": "q"}),
            (c, 1, "7a", {"offset": 0, "index": 0, "value": "z"}),
        ])
        self.assertEqual(r["values"], [10, [5, 4, 3, 2, 1], "qXYZ", "z"])
        self.assertEqual(of(ev, "shared.image"), [], "locked objects are not sampled: their writes are seen")

    def test_raw_objects_are_sampled(self):
        r = run("""
            import multiprocessing as mp
            from multiprocessing import sharedctypes
            raw = mp.RawArray("h", [1, 2, 3])
            rv = sharedctypes.RawValue("d", 1.5)
            nolock = mp.Value("i", 4, lock=False)
            t.sample()
            quiet = len(t.events)
            raw[1] = -2
            nolock.value = 5
            t.sample()
            t.sample()
            out(quiet=quiet, added=t.added)
        """)
        ev = r["events"]
        news = of(ev, "shared.new")
        self.assertEqual([e[6] for e in news], [
            {"type": "RawArray", "typecode": "h", "length": 3, "itemsize": 2, "lock": False},
            {"type": "RawValue", "typecode": "d", "length": 1, "itemsize": 8, "lock": False},
            {"type": "Value", "typecode": "i", "length": 1, "itemsize": 4, "lock": False},
        ])
        self.assertEqual(r["quiet"], 3, "no image while nothing changed")
        self.assertEqual(r["added"], 1, "one sampler for every object")
        images = [(e[1], e[3], e[4], e[6]) for e in of(ev, "shared.image")]
        self.assertEqual(images, [(news[0][1], 6, "0100feff0300", {"offset": 0}), (news[2][1], 4, "05000000", {"offset": 0})])

    def test_shared_memory_and_shareable_list(self):
        r = run("""
            from multiprocessing import shared_memory as sm
            a = sm.SharedMemory(create=True, size=16)
            b = sm.SharedMemory(name=a.name)
            b.buf[0:3] = b"abc"
            t.sample()
            b.close()
            sl = sm.ShareableList([1, "hey", None])
            sl[0] = 42
            sl[1] = "yo"
            other = sm.ShareableList(name=sl.shm.name)
            got = list(other)
            for s in (other.shm, sl.shm):
                s.close()
            sl.shm.unlink()
            a.buf[15] = 1
            a.close()
            a.unlink()
            out(name=a.name, got=got)
        """)
        ev, name = r["events"], r["name"]
        news = of(ev, "shared.new")
        base = {"typecode": "", "itemsize": 1, "lock": False}
        self.assertEqual([(e[1], e[3], e[6]) for e in news[:2]], [
            ("shm:" + name, 16, dict(base, type="SharedMemory", length=16, name=name, create=True)),
            ("shm:" + name, 16, dict(base, type="SharedMemory", length=16, name=name, create=False)),
        ])
        self.assertEqual(len(news), 4, "a ShareableList is one object, not also a SharedMemory")
        sl_ch = news[2][1]
        self.assertEqual({k: v for k, v in news[2][6].items() if k not in ("length", "name")},
                         dict(base, type="ShareableList", create=True, items=3))
        self.assertEqual(news[3][6]["create"], False)
        self.assertEqual(news[3][1], sl_ch)
        self.assertEqual(r["got"], [42, "yo", None])
        writes = [(e[1], e[3], e[6]) for e in of(ev, "shared.write")]
        self.assertEqual([w[2]["index"] for w in writes], [0, 1])
        self.assertEqual([w[2]["value"] for w in writes], [42, "yo"])
        self.assertTrue(all(w[0] == sl_ch for w in writes))
        images = [(e[1], e[2] and e[2][1], e[4]) for e in of(ev, "shared.image") if e[1] == "shm:" + name]
        self.assertEqual(images[0], ("shm:" + name, None, "616263" + "00" * 13), "shm.buf written: seen by the sampler")
        closes = [i for i in images if i[1] is not None]
        self.assertEqual(len(closes), 2, "a last image at each close(), with its line")
        self.assertEqual(closes[-1][2], "616263" + "00" * 12 + "01")
        self.assertEqual(images[-1], closes[-1])
        unlinks = [(e[1], e[6]) for e in of(ev, "shm.unlink")]
        self.assertEqual(unlinks, [(sl_ch, {"name": sl_ch[4:]}), ("shm:" + name, {"name": name})], "each unlink() reported once, in order")

    def test_mmap_stays_mmap(self):
        r = run("""
            import mmap, pickle, tempfile
            checks = {}
            m = mmap.mmap(-1, 16)
            checks["type_is"] = type(m) is mmap.mmap
            checks["isinstance_original"] = isinstance(m, shared.original_mmap)
            checks["repr"] = repr(m).split(",")[0]
            try:
                pickle.dumps(m)
            except TypeError as e:
                checks["pickle"] = str(e)
            class Mine(mmap.mmap):
                pass
            mine = Mine(-1, 8)
            checks["subclass"] = [type(mine).__name__, isinstance(mine, mmap.mmap), repr(mine).split(" ")[0]]
            with mmap.mmap(-1, 8) as w:
                w[0:2] = b"hi"
            private = mmap.mmap(-1, 8, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
            import multiprocessing as mp
            v = mp.RawValue("i", 1)  # its arena is an mmap too: reported as the RawValue only
            with tempfile.TemporaryFile() as f:
                f.write(b"0123456789")
                f.flush()
                fm = mmap.mmap(f.fileno(), 10)
                ino = os.fstat(f.fileno()).st_ino
                fm[0:1] = b"X"
                t.sample()
                fm.close()
            out(checks=checks, ino=ino, pid=os.getpid())
        """)
        c = r["checks"]
        self.assertTrue(c["type_is"])
        self.assertTrue(c["isinstance_original"])
        self.assertEqual(c["repr"], "<mmap.mmap closed=False")
        self.assertEqual(c["pickle"], "cannot pickle 'mmap.mmap' object")
        self.assertEqual(c["subclass"], ["Mine", True, "<Mine"])
        news = of(r["events"], "shared.new")
        self.assertEqual([e[6]["type"] for e in news], ["mmap", "mmap", "mmap", "RawValue", "mmap"])
        self.assertTrue(all(e[1].startswith(f"mmap:anon:{r['pid']}:") for e in news[:3]))
        self.assertEqual(news[4][1], f"mmap:{r['ino']}")
        self.assertEqual(news[4][4], b"0123456789".hex())
        images = [(e[1], e[4]) for e in of(r["events"], "shared.image")]
        self.assertIn((news[2][1], b"hi".hex() + "00" * 6), images, "a last image at the end of the with block")
        self.assertEqual([i for i in images if i[0] == news[4][1]], [(news[4][1], b"X123456789".hex())] * 2,
                         "sampled, then at close()")

    def test_a_failing_transport_changes_nothing(self):
        r = run("""
            import mmap
            import multiprocessing as mp
            from multiprocessing import shared_memory as sm
            t.fail = True
            v = mp.Value("i", 1)
            v.value += 1
            a = mp.Array("d", 3)
            a[0:2] = [1.5, 2.5]
            raw = mp.RawArray("i", 2)
            raw[0] = 3
            s = sm.SharedMemory(create=True, size=8)
            s.buf[0] = 9
            first = s.buf[0]
            s.close()
            s.unlink()
            sl = sm.ShareableList([1])
            sl[0] = 2
            got = sl[0]
            sl.shm.close()
            sl.shm.unlink()
            with mmap.mmap(-1, 4) as m:
                m[0] = 1
            for fn in t.samplers:
                try:
                    fn()
                except RuntimeError:
                    pass
            t.fail = False
            out(values=[v.value, list(a), list(raw), first, got])
        """)
        self.assertEqual(r["values"], [2, [1.5, 2.5, 0.0], [3, 0], 9, 2])

    def test_forked_child_samples_without_other_events(self):
        r = run("""
            import multiprocessing as mp
            raw = mp.RawArray("i", 2)
            pid = os.fork()
            if pid == 0:
                ok = t.added == 2 and t.samplers.count(shared._sample) == 1
                os._exit(0 if ok else 1)
            _, status = os.waitpid(pid, 0)
            out(status=status)
        """)
        self.assertEqual(r["status"], 0, "the child registered its sampler again (its sender thread starts)")


if __name__ == "__main__":
    unittest.main()
