"""A deadlock between two processes: each waits to read a pipe the other would write next.

Two os.pipe()s connect a parent and a forked child, one per direction, each process closing the
ends it does not use. Both were meant to take turns, but each starts by reading: the parent reads
the child→parent pipe before writing, and the child reads the parent→child pipe before writing.
Neither pipe ever gets a byte, so both sleep in read() forever (a cycle in the wait-for graph).
The fix: let one side speak first (or read with a timeout, e.g. select.select).

With --timeout N each side gives up reading after N seconds (select with a timeout), reports the
deadlock and exits. Without it, this program hangs, as the real bug does.

    python3 examples/pipe_cycle.py [--timeout N]
"""
import argparse
import os
import select


def read_first(fd: int, timeout) -> bytes:
    if timeout is not None:
        ready, _, _ = select.select([fd], [], [], timeout)
        if not ready:
            return b""
    return os.read(fd, 100)  # the bug: both sides read before either writes


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--timeout", type=float, default=None, help="give up reading after N s (default: hang)")
    args = ap.parse_args()

    to_child_r, to_child_w = os.pipe()
    to_parent_r, to_parent_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: waits for the parent's greeting, then answers
        os.close(to_child_w)
        os.close(to_parent_r)
        got = read_first(to_child_r, args.timeout)
        try:
            os.write(to_parent_w, b"hello from the child")
        except BrokenPipeError:  # with --timeout the parent may have given up and gone
            pass
        print(f"child read {got!r}" if got else "child: gave up waiting, deadlock", flush=True)
        os._exit(0)

    os.close(to_child_r)
    os.close(to_parent_w)
    print(f"parent {os.getpid()} and child {pid} both read first: this hangs (Ctrl-C to stop)" if args.timeout is None else
          f"parent {os.getpid()} and child {pid} both read first, giving up after {args.timeout} s", flush=True)
    got = read_first(to_parent_r, args.timeout)
    os.write(to_child_w, b"hello from the parent")
    print(f"parent read {got!r}" if got else "parent: gave up waiting, deadlock", flush=True)
    os.waitpid(pid, 0)


if __name__ == "__main__":
    main()
