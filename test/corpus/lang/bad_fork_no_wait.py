import os
import time


def main():
    pid = os.fork()  # expect: forkWithoutWait
    if pid == 0:
        os._exit(0)
    time.sleep(5)


if __name__ == "__main__":
    main()
