"""Grade a generated class of ex03 submissions with `grade batch`, with 1 and with 2 workers.

The class mixes correct, wrong, crashing and timing-out submissions. Printed per run: the wall time of the whole
command (torch import and warm-up included), submissions per second over that time, and per submission the
median of: the wall time from taking the job to storing its grade, the child's own run (fork to exit: sandbox
set-up plus the student's code, as its launcher measures it), and the difference, which is the grader's overhead.

Run from the repository root with the project installed:  python bench/bench_batch.py [--students 200]
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT_S = 2.0

CORRECT = (ROOT / "solutions" / "ex03.py").read_text()
MIX = (  # (share of the class, kind, source)
    (0.60, "correct", CORRECT),
    (0.13, "wrong (accumulated)", (ROOT / "solutions" / "wrong" / "ex03_accumulated.py").read_text()),
    (0.12, "wrong (sign)", (ROOT / "solutions" / "wrong" / "ex03_sign.py").read_text()),
    (0.07, "crashing at import", "import torch\nraise RuntimeError('broken')\n"),
    (0.06, "crashing in the function", "def q_backward(a, b):\n    return a.nonexistent\n"),
    (0.02, f"timing out ({TIMEOUT_S:g} s limit)", "def q_backward(a, b):\n    while True:\n        pass\n"),
)


def make_class(folder: Path, students: int) -> list[tuple[str, int]]:
    counts = [round(share * students) for share, _, _ in MIX]
    counts[0] += students - sum(counts)
    n = 0
    for count, (_, _, source) in zip(counts, MIX):
        for _ in range(count):
            (folder / f"s{n:04d}").mkdir(parents=True)
            (folder / f"s{n:04d}" / "ex03.py").write_text(source, encoding="utf-8")
            n += 1
    return [(kind, count) for count, (_, kind, _) in zip(counts, MIX)]


def run(folder: Path, book: Path, how: list[str]) -> dict[str, float]:
    """`grade batch` on `folder` with the options `how` (e.g. --workers 2): wall time and per-submission medians."""
    grade = [sys.executable, "-m", "grader", "batch", str(folder), "--gradebook", str(book), "--timeout",
             str(TIMEOUT_S), *how]
    start = time.perf_counter()
    done = subprocess.run(grade, cwd=ROOT, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"grade batch {' '.join(how)} failed ({done.returncode}): {done.stderr[-800:]}")
    rows = sqlite3.connect(book).execute("SELECT wall_seconds, seconds, error_kind FROM grades").fetchall()
    finished = [(w, s) for w, s, kind in rows if kind != "timeout"]
    return {"wall": wall, "count": len(rows), "per_job": statistics.median(w for w, _ in finished),
            "child": statistics.median(s for _, s in finished),
            "overhead": statistics.median(w - s for w, s in finished)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "class"
        mix = make_class(folder, args.students)
        print(f"{args.students} ex03 submissions: " + ", ".join(f"{count} {kind}" for kind, count in mix))
        for workers in (1, 2):
            figures = run(folder, Path(tmp) / f"gradebook-{workers}.sqlite", ["--workers", str(workers)])
            assert figures["count"] == args.students, figures
            print(f"workers={workers}: {figures['wall']:.2f} s for the whole command, "
                  f"{args.students / figures['wall']:.1f} submissions/s; per submission (median, timeouts "
                  f"excluded): {figures['per_job'] * 1000:.1f} ms from job to stored grade, child run "
                  f"{figures['child'] * 1000:.1f} ms, grader overhead {figures['overhead'] * 1000:.1f} ms")


if __name__ == "__main__":
    main()
