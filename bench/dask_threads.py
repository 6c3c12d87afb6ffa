"""Dask's threaded scheduler runs fastact's chunks in parallel.

fastact's ufunc loops release the GIL, so the chunks of a dask array computed
by the threaded scheduler run at the same time on different cores. This
script times `fastact.sigmoid` (and the numpy reference, for scale) on a
chunked float32 array with 1, 2, ... scheduler threads; fastact's own OpenMP
threads are set to 1 so that all parallelism comes from dask.

    python bench/dask_threads.py [--n 20_000_000] [--chunks 1_000_000] [--repeat 5]

Prints seconds (best of --repeat) and the speedup over one thread.
"""
import argparse
import os
import time

import dask
import dask.array as da
import numpy as np

import fastact
from fastact import reference


def best_time(fn, repeat):
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=lambda s: int(float(s)), default=20_000_000)
    parser.add_argument("--chunks", type=lambda s: int(float(s)), default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--max-threads", type=int, default=len(os.sched_getaffinity(0)))
    args = parser.parse_args()

    fastact.set_num_threads(1)
    x_np = np.random.default_rng(0).standard_normal(args.n).astype(np.float32)
    x = da.from_array(x_np, chunks=args.chunks)
    threads = sorted({1, *range(2, args.max_threads + 1)})
    print(f"sigmoid on {args.n:,} float32 values in chunks of {args.chunks:,}; "
          f"fastact {fastact.__version__}, ISA {fastact.config()['isa']}, fastact threads 1, "
          f"{os.cpu_count()} CPUs")
    print(f"{'implementation':16s} " + " ".join(f"{t:>2d} thread{'s' if t > 1 else ' '}"
                                               for t in threads) + "   speedup")
    for label, fn in [("fastact", fastact.sigmoid), ("numpy reference", reference.sigmoid)]:
        # Summed so that the timing is the chunks' work, not concatenating them.
        lazy = (x.map_blocks(fn, dtype=np.float32) if fn is reference.sigmoid else fn(x)).sum()
        seconds = []
        for t in threads:
            with dask.config.set(scheduler="threads", num_workers=t):
                seconds.append(best_time(lambda: lazy.compute(), args.repeat))
        print(f"{label:16s} " + " ".join(f"{s:9.3f}s" for s in seconds)
              + f"   {seconds[0] / seconds[-1]:.2f}x")


if __name__ == "__main__":
    main()
