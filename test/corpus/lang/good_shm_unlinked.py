import os
import tempfile
from multiprocessing import shared_memory


def main():
    shm = shared_memory.SharedMemory(create=True, size=64)
    try:
        shm.buf[0] = 1
    finally:
        shm.close()
        shm.unlink()
    other = shared_memory.SharedMemory(name=shm.name, create=False)  # attaching is not creating
    other.close()
    with tempfile.TemporaryDirectory() as d:
        os.mkfifo(os.path.join(d, "fifo"))


if __name__ == "__main__":
    main()
