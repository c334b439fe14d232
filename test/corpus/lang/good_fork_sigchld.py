import signal
from os import fork, _exit


def main():
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    for _ in range(3):
        if fork() == 0:
            _exit(0)


if __name__ == "__main__":
    main()
