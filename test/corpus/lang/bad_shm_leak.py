import os
from multiprocessing import shared_memory


def main():
    shm = shared_memory.SharedMemory(create=True, size=64)  # expect: resourceNeverUnlinked
    shm.buf[0] = 1
    shm.close()
    os.mkfifo("/tmp/ipc-scope-corpus-fifo")  # expect: resourceNeverUnlinked


if __name__ == "__main__":
    main()
