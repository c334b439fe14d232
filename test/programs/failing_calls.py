"""IPC calls that fail, each caught and its traceback printed: a program's tracebacks must read the same
with IPC Scope as without it (no frames of the runtime's hooks in them).

    python3 failing_calls.py [--uncaught]

Prints "== <case>" and the traceback of each case to stdout; with --uncaught it ends on an uncaught
queue.Empty (exit code 1, the traceback on stderr).
"""
import mmap
import multiprocessing as mp
import os
import pickle
import socket
import subprocess
import sys
import tempfile
import traceback
from multiprocessing import shared_memory


def queue_get_timeout():
    mp.Queue().get(timeout=0.01)


def queue_put_full():
    q = mp.Queue(1)
    q.put(1)
    q.put(2, timeout=0.01)


def simple_queue_closed():
    q = mp.SimpleQueue()
    q.close()
    q.get()


def conn_recv_bytes_eof():
    a, b = mp.Pipe()
    b.close()
    a.recv_bytes()


def conn_send_bytes_broken():
    a, b = mp.Pipe()
    b.close()
    a.send_bytes(b"x")


def conn_recv_eof():
    a, b = mp.Pipe()
    b.close()
    a.recv()


def conn_send_closed():
    a, b = mp.Pipe()
    a.close()
    a.send(1)


def os_read_bad_fd():
    r, w = os.pipe()
    os.close(r)
    os.close(w)
    os.read(r, 1)


def os_write_broken_pipe():
    r, w = os.pipe()
    os.close(r)
    try:
        os.write(w, b"x")
    finally:
        os.close(w)


def mkfifo_exists():
    path = os.path.join(tempfile.mkdtemp(), "fifo")
    os.mkfifo(path)
    try:
        os.mkfifo(path)
    finally:
        os.unlink(path)
        os.rmdir(os.path.dirname(path))


def open_missing():
    os.open("/nonexistent/ipcscope-fifo", os.O_RDONLY)


def lock_released_twice():
    mp.Lock().release()


def value_wrong_type():
    v = mp.Value("i", 0)
    v.value = "x"


def array_out_of_range():
    a = mp.Array("i", 3)
    a[5] = 1


def barrier_broken():
    b = mp.Barrier(2)
    b.abort()
    b.wait()


def condition_wait_unlocked():
    mp.Condition().wait(0.01)


def shared_memory_missing():
    shared_memory.SharedMemory(name="ipcscope-no-such-segment")


def shareable_list_out_of_range():
    sl = shared_memory.ShareableList([1, 2])
    try:
        sl[5] = 1
    finally:
        sl.shm.close()
        sl.shm.unlink()


def mmap_bad_length():
    mmap.mmap(-1, -1)


def mmap_pickled():
    with mmap.mmap(-1, 16) as m:
        pickle.dumps(m)


def waitpid_no_child():
    os.waitpid(2 ** 22 + 1, 0)  # above pid_max: never a child


def subprocess_missing_program():
    subprocess.Popen(["/nonexistent/program"])


def posix_spawn_missing_program():
    os.posix_spawn("/nonexistent/program", ["program"], {})


def socket_sendall_broken():
    a, b = socket.socketpair()
    b.close()
    try:
        a.sendall(b"x" * 4096)
    finally:
        a.close()


def socket_connect_missing():
    with socket.socket(socket.AF_UNIX) as s:
        s.connect("/nonexistent/ipcscope.sock")


def join_unstarted():
    mp.Process(target=print).join()


def manager_missing_key():
    with mp.Manager() as m:
        m.dict()["missing"]


CASES = [queue_get_timeout, queue_put_full, simple_queue_closed, conn_recv_bytes_eof, conn_send_bytes_broken,
         conn_recv_eof, conn_send_closed, os_read_bad_fd, os_write_broken_pipe, mkfifo_exists, open_missing,
         lock_released_twice, value_wrong_type, array_out_of_range, barrier_broken, condition_wait_unlocked,
         shared_memory_missing, shareable_list_out_of_range, mmap_bad_length, mmap_pickled, waitpid_no_child,
         subprocess_missing_program, posix_spawn_missing_program,
         socket_sendall_broken, socket_connect_missing, join_unstarted, manager_missing_key]

if __name__ == "__main__":
    for case in CASES:
        print("==", case.__name__)
        try:
            case()
        except BaseException:
            traceback.print_exc(file=sys.stdout)
        else:
            print("no error")
    sys.stdout.flush()
    if "--uncaught" in sys.argv:
        queue_get_timeout()
