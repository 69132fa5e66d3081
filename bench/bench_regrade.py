"""Time a targeted regrade against a whole-class batch, on bench_batch.py's generated class of ex03 submissions.

Printed: the wall time of each whole command (torch import and warm-up included): the first full batch, a plain
batch with nothing changed, `--student` for one student, `--changed-exercise` with nothing changed, and
`--changed-exercise` after a test fix in ex03 (which regrades every ex03 grade: the whole class here).

Run from the repository root with the project installed:  python bench/bench_regrade.py [--students 200]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_batch import TIMEOUT_S, make_class

ROOT = Path(__file__).resolve().parent.parent


def timed(course: Path, *args: str) -> tuple[float, str]:
    grade = [sys.executable, "-m", "grader", "batch", "class", "--timeout", str(TIMEOUT_S), "--workers", "2", *args]
    start = time.perf_counter()
    done = subprocess.run(grade, cwd=course, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"grade batch {' '.join(args)} failed ({done.returncode}): {done.stderr[-800:]}")
    return wall, next(line for line in done.stdout.splitlines() if line.startswith("graded "))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        course = Path(tmp) / "course"
        course.mkdir()
        shutil.copy(ROOT / "config.yaml", course)
        shutil.copy(ROOT / "fixtures.py", course)
        for name in ("exercises", "solutions"):
            shutil.copytree(ROOT / name, course / name)
        make_class(course / "class", args.students)
        yaml = course / "exercises" / "ex03_q_gradients.yaml"
        runs = [("full batch", ()), ("plain batch, nothing changed", ()), ("--student s0007", ("--student", "s0007")),
                ("--changed-exercise, nothing changed", ("--exercises", "ex03", "--changed-exercise")),
                ("--changed-exercise after a test fix", ("--exercises", "ex03", "--changed-exercise"))]
        for label, options in runs:
            if label.endswith("test fix"):
                yaml.write_text(yaml.read_text(encoding="utf-8").replace("points: 4}", "points: 2}")
                                .replace("target: a, points: 3}", "target: a, points: 5}"), encoding="utf-8")
            wall, said = timed(course, *options)
            print(f"{label}: {wall:.2f} s ({said})")


if __name__ == "__main__":
    main()
