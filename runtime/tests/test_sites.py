"""A site (code, f_lasti) resolves to the line f_lineno gives, on every Python this runs on; the hooks'
cached lookup (where) gives the same."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from ipcscope import sites  # noqa: E402


def _caller_site_and_line():
    f = sys._getframe(1)
    return (f.f_code, f.f_lasti), f.f_lineno


def _long_function(n):
    seen = []
    for i in range(n):
        if i % 2:
            seen.append(_caller_site_and_line())
        else:
            x = [
                i,
                _caller_site_and_line(),
            ]
            seen.append(x[1])
    try:
        raise ValueError
    except ValueError:
        seen.append(_caller_site_and_line())
    finally:
        seen.append(_caller_site_and_line())
    seen.append((lambda: _caller_site_and_line())())
    seen.extend(_caller_site_and_line() for _ in range(2))
    return seen


class SitesTest(unittest.TestCase):
    def test_site_resolves_to_f_lineno(self):
        for site, line in _long_function(6):
            self.assertEqual(sites.resolve(site), (__file__ if site[0].co_filename == __file__ else site[0].co_filename, line))

    def test_resolve_is_cached_and_bounded(self):
        site, line = _caller_site_and_line()
        self.assertIs(sites.resolve(site), sites.resolve(site))
        sites._resolved.clear()
        for i in range(sites._MAX):
            sites._resolved[(-i, 0)] = (None, ("x", i))
        self.assertEqual(sites.resolve(site), (__file__, line))  # a new site when full: start afresh
        self.assertEqual(len(sites._resolved), 1)

    def test_where_is_resolve_cached(self):
        sites._resolved.clear()
        sites._by_key.clear()
        for site, line in _long_function(4):
            first = sites.where(*site)
            self.assertEqual(first, sites.resolve(site))
            self.assertIs(sites.where(*site), first)
        site, line = _caller_site_and_line()
        for i in range(sites._MAX):
            sites._resolved[(-i, 0)] = (None, ("x", i))
        self.assertEqual(sites.where(*site), (__file__, line))  # full: both caches start afresh
        self.assertEqual((len(sites._resolved), len(sites._by_key)), (1, 1))

    def test_other_locations_pass_through(self):
        self.assertIsNone(sites.resolve(None))
        self.assertEqual(sites.resolve(("a.py", 3)), ("a.py", 3))


if __name__ == "__main__":
    unittest.main()
