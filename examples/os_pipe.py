"""os.pipe() between a parent and a forked child: the parent writes, the child reads until EOF.

os.pipe() returns two file descriptors, a read end and a write end, of one kernel pipe. After
os.fork() both processes hold both ends, so each closes the end it does not use: the child closes
the write end (else it would never see EOF, holding a writer itself), the parent the read end.
The parent writes N messages with os.write and closes its end; the child reads with os.read
until os.read returns b"" (EOF: no writer is left) and reports what it got.

    python3 examples/os_pipe.py [--messages N] [--pause S]
"""
import argparse
import os
import time


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=5)
    ap.add_argument("--pause", type=float, default=0.0, help="seconds between writes")
    args = ap.parse_args()

    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: reader
        os.close(w)
        chunks = []
        while True:
            data = os.read(r, 4096)
            if not data:  # EOF: every write end is closed
                break
            chunks.append(data)
        os.close(r)
        lines = b"".join(chunks).decode().splitlines()
        print(f"child read {len(lines)} messages: {lines}", flush=True)
        os._exit(0)

    os.close(r)  # parent: writer
    for i in range(args.messages):
        os.write(w, f"message {i}\n".encode())
        time.sleep(args.pause)
    os.close(w)  # the child sees EOF
    _, status = os.waitpid(pid, 0)
    print(f"parent wrote {args.messages} messages; child exited with {os.waitstatus_to_exitcode(status)}", flush=True)


if __name__ == "__main__":
    main()
