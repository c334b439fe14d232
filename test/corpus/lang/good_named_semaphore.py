import posix_ipc
import tempfile
import os


def main():
    sem = posix_ipc.Semaphore("/ipc-scope-corpus", flags=posix_ipc.O_CREAT | posix_ipc.O_EXCL, initial_value=1)
    try:
        with sem:
            print("inside")
    finally:
        sem.unlink()
    existing = posix_ipc.Semaphore("/other")  # opening one someone else made
    existing.close()


def fifo_in_temporary_directory():
    with tempfile.TemporaryDirectory() as d:
        os.mkfifo(os.path.join(d, "fifo"))


if __name__ == "__main__":
    main()
