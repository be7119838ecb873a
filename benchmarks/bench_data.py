"""How long loading the CIFAR-10 training folder takes (the issue's target: under 10 s).

    python -m benchmarks.bench_data [--data ../shared/data/cifar10/train] [--repeat 3]

Prints the time of each full load_image_folder call for 1, 2 and all-core worker
counts, and the single-image decode time. The first call may read the files from
disk; later ones find them in the page cache, so both cold and warm figures show.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from cnn_core.data import decode_images, load_image_folder


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", default="../shared/data/cifar10/train")
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args()
    cores = os.cpu_count() or 1
    print(f"{args.data}: {cores} cores, load average {os.getloadavg()[0]:.2f}")
    for workers in sorted({1, 2, cores}):
        for i in range(args.repeat):
            start = time.perf_counter()
            x, y, classes = load_image_folder(args.data, workers=workers)
            seconds = time.perf_counter() - start
            print(
                f"workers={workers} run {i + 1}: {len(x):,} images in {seconds:.2f} s "
                f"({len(x) / seconds:,.0f} images/s, {x.nbytes / 2**20:.0f} MiB)"
            )
    paths = sorted(str(f) for f in (Path(args.data) / classes[0]).iterdir())
    start = time.perf_counter()
    decode_images(paths[:2000], 32)
    per_image = (time.perf_counter() - start) / min(2000, len(paths))
    print(f"one process decodes one image in {per_image * 1e6:.0f} µs")


if __name__ == "__main__":
    main()
