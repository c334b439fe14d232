"""multiprocessing.Value and Array: numbers, a double, a byte string and an int array shared with a child.

The child changes each one and the parent prints what it then sees. counter and numbers are changed
inside `with x.get_lock():` (a read and a write that must not be split); ratio and text are single
writes, which the wrapper's own lock already covers. scratch is made with lock=False: a plain ctypes
array in shared memory, with no lock and no wrapper.

    python3 examples/shared_values.py [--start-method fork|spawn|forkserver]
"""
import argparse
import multiprocessing as mp


def child(counter, ratio, text, numbers, scratch) -> None:
    with counter.get_lock():
        counter.value += 1
    ratio.value = ratio.value * 2  # one read and one write; nobody else writes it
    text.value = b"HELLO"
    with numbers.get_lock():
        for i in range(len(numbers)):
            numbers[i] = numbers[i] * numbers[i]
        numbers[7:10] = [-7, -8, -9]
    for i in range(len(scratch)):
        scratch[i] = i + 0.5  # no lock, no wrapper: nothing to see but the memory itself


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--start-method", choices=mp.get_all_start_methods(), default=None)
    args = ap.parse_args()
    ctx = mp.get_context(args.start_method)

    counter = ctx.Value("i", 41)
    ratio = ctx.Value("d", 1.25)
    text = ctx.Array("c", b"hello")
    numbers = ctx.Array("i", range(10))
    scratch = ctx.Array("d", 3, lock=False)
    p = ctx.Process(target=child, args=(counter, ratio, text, numbers, scratch), name="child")
    p.start()
    p.join()
    print(f"counter = {counter.value}", flush=True)
    print(f"ratio = {ratio.value!r}", flush=True)
    print(f"text = {text.value!r}", flush=True)
    print(f"numbers = {list(numbers)}", flush=True)
    print(f"scratch = {list(scratch)}", flush=True)


if __name__ == "__main__":
    main()
