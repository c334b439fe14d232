import posix_ipc


def main():
    sem = posix_ipc.Semaphore("/ipc-scope-corpus", posix_ipc.O_CREAT, initial_value=1)  # expect: resourceNeverUnlinked
    with sem:
        print("inside")
    sem.close()


if __name__ == "__main__":
    main()
