"""A socket server (TCP on 127.0.0.1, or a Unix socket) and 3 client processes.

The server listens, accept()s each client, reads one request line and answers it. Each client
connect()s, sends "hello from client N", reads the reply and closes. TCP connections are named by
their two endpoints (address:port); a Unix socket server by its path in the file system.

    python3 examples/socket_server.py [--start-method fork|spawn|forkserver] [--family tcp|unix] [--clients N]
"""
import argparse
import multiprocessing as mp
import os
import socket
import tempfile


def client(n: int, family: str, address) -> None:
    with socket.socket(socket.AF_INET if family == "tcp" else socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.connect(address)
        s.sendall(f"hello from client {n}\n".encode())
        reply = b""
        while not reply.endswith(b"\n"):
            data = s.recv(1024)
            if not data:
                break
            reply += data
    # One write per line: three clients print at once, and print() writes the newline separately.
    print(f"client {n} got: {reply.decode().strip()}\n", end="", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--start-method", choices=mp.get_all_start_methods(), default=None)
    ap.add_argument("--family", choices=["tcp", "unix"], default="tcp")
    ap.add_argument("--clients", type=int, default=3)
    args = ap.parse_args()
    ctx = mp.get_context(args.start_method)

    tmp = None
    if args.family == "tcp":
        server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        server.bind(("127.0.0.1", 0))  # any free port
    else:
        tmp = tempfile.mkdtemp(prefix="socket-example-")
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(os.path.join(tmp, "server.sock"))
    server.listen(args.clients)
    address = server.getsockname()
    clients = [ctx.Process(target=client, args=(n, args.family, address)) for n in range(args.clients)]
    for p in clients:
        p.start()
    served = []
    for _ in range(args.clients):
        conn, _ = server.accept()
        with conn:
            request = b""
            while not request.endswith(b"\n"):
                data = conn.recv(1024)
                if not data:
                    break
                request += data
            text = request.decode().strip()
            conn.sendall(f"welcome, {text.rsplit(' ', 1)[-1]}\n".encode())
            served.append(text)
    for p in clients:
        p.join()
    server.close()
    if tmp:
        os.unlink(address)
        os.rmdir(tmp)
    print(f"server answered {len(served)} clients: {sorted(served)}", flush=True)


if __name__ == "__main__":
    main()
