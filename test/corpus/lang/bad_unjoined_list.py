from multiprocessing import Process


def work(i):
    print(i)


def main():
    procs = [Process(target=work, args=(i,)) for i in range(4)]  # expect: unjoinedProcess
    for p in procs:
        p.start()
    print("all started")


if __name__ == "__main__":
    main()
