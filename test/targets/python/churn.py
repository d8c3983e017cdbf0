# A real program nobody here wrote, moving its heap: CPython with THREADS
# threads that keep building and dropping strings, lists and dicts (pymalloc
# serves small objects; larger ones and every list/dict buffer come from glibc
# malloc, each thread soon on its own arena). Prints "READY" once every thread
# runs; stdin EOF ends it.
import random
import sys
import threading


def work(seed, started):
    r = random.Random(seed)
    keep = []
    started.release()
    while True:
        for _ in range(500):
            keep.append(("x" * r.randint(10, 3000)) + str(r.random()))
        if len(keep) > 20000:
            del keep[: r.randint(1000, 15000)]
        d = {i: bytearray(r.randint(16, 600)) for i in range(200)}
        del d


threads = int(sys.argv[1]) if len(sys.argv) > 1 else 8
started = threading.Semaphore(0)
for i in range(threads):
    threading.Thread(target=work, args=(i, started), daemon=True).start()
for _ in range(threads):
    started.acquire()
print("READY", flush=True)
sys.stdin.read()
