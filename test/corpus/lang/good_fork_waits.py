import os


def main():
    pid = os.fork()
    if pid == 0:
        os._exit(3)
    _, status = os.waitpid(pid, 0)
    print(os.waitstatus_to_exitcode(status))


if __name__ == "__main__":
    main()
