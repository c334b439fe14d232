import multiprocessing as mp


def work():
    print("working")


def main():
    ctx = mp.get_context("spawn")
    p = ctx.Process(target=work)  # expect: unjoinedProcess
    p.start()
    print("started", p.pid)


if __name__ == "__main__":
    main()
