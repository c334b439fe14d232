"""socket.socketpair(): a connected pair of Unix sockets, used in both directions after os.fork().

Unlike a pipe, each end of a socketpair can both send and receive. The parent keeps one end, the
forked child the other (each closes the end it does not use). The parent sends N requests; the
child answers each with an echo in upper case; a zero-length read means the other side closed.

    python3 examples/socketpair_echo.py [--rounds N]
"""
import argparse
import os
import socket


def recv_line(sock: socket.socket, buf: bytearray) -> bytes:
    while b"\n" not in buf:
        data = sock.recv(4096)
        if not data:
            return b""
        buf += data
    line, _, rest = bytes(buf).partition(b"\n")
    buf[:] = rest
    return line


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()

    parent_end, child_end = socket.socketpair()
    pid = os.fork()
    if pid == 0:  # child: echo server
        parent_end.close()
        buf = bytearray()
        served = 0
        while True:
            line = recv_line(child_end, buf)
            if not line:
                break
            child_end.sendall(b"echo " + line.upper() + b"\n")
            served += 1
        child_end.close()
        print(f"child answered {served} requests", flush=True)
        os._exit(0)

    child_end.close()
    buf = bytearray()
    replies = []
    for i in range(args.rounds):
        parent_end.sendall(f"hello {i}\n".encode())
        replies.append(recv_line(parent_end, buf).decode())
    parent_end.close()  # the child's recv returns b""
    _, status = os.waitpid(pid, 0)
    print(f"parent got {replies}; child exited with {os.waitstatus_to_exitcode(status)}", flush=True)


if __name__ == "__main__":
    main()
