"""The same generated class graded by the local pool (--workers 2) and on a Dask LocalCluster (--cluster local:2).

The class is bench_batch.py's: 200 ex03 submissions mixing correct, wrong, crashing and timing-out ones. Each way
runs twice, as `grade batch` in its own process: once on a 2-student class, which is start-up alone (torch import
and warm-up; for the cluster also the scheduler, two worker processes and their warm-up), then on the whole class.
Printed per way: the whole command's wall time, the steady rate (the extra submissions over the extra time), the
per-submission cost against the local pool, and a projection for 10,000 submissions (10,000 students, one exercise
each) at 2 workers and at W times as many.

Run from the repository root with the [dask] extra installed:  python bench/bench_cluster.py [--students 200]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_batch import make_class, run  # noqa: E402 - a script beside this one

WAYS = {"local pool": ["--workers", "2"], "cluster local:2": ["--cluster", "local:2"]}
WORKERS = 2
PROJECTED = 10_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        small, folder = Path(tmp) / "small", Path(tmp) / "class"
        make_class(small, 2)
        mix = make_class(folder, args.students)
        print(f"{args.students} ex03 submissions: " + ", ".join(f"{count} {kind}" for kind, count in mix))
        steady = {}
        for name, how in WAYS.items():
            slug = name.replace(" ", "-").replace(":", "")
            start = run(small, Path(tmp) / f"{slug}-small.sqlite", how)
            whole = run(folder, Path(tmp) / f"{slug}.sqlite", how)
            assert whole["count"] == args.students, whole
            rate = (args.students - 2) / max(whole["wall"] - start["wall"], 1e-9)
            steady[name] = rate
            hours = (start["wall"] + PROJECTED / rate) / 3600
            print(f"{name}: {whole['wall']:.1f} s for the whole command ({args.students / whole['wall']:.1f} "
                  f"submissions/s), of which start-up {start['wall']:.1f} s; steady {rate:.1f} submissions/s "
                  f"({rate / WORKERS:.1f} per worker); per submission (median, timeouts excluded) "
                  f"{whole['per_job'] * 1000:.0f} ms from job to grade on its worker, child run "
                  f"{whole['child'] * 1000:.0f} ms; {PROJECTED} submissions: {hours * 60:.1f} min at {WORKERS} workers")
        local, cluster = steady["local pool"], steady["cluster local:2"]
        print(f"cluster cost per submission against the local pool, steady: {(1 / cluster - 1 / local) * 1000:.1f} ms "
              f"of wall time at {WORKERS} workers; {PROJECTED} submissions on W times as many workers: about "
              f"{PROJECTED / cluster / 60:.1f} / W min plus start-up")


if __name__ == "__main__":
    main()
