"""Measure `grade ex03` against a bare `import torch`, and the cost of each further submission in one process.

Run from the repository root with the project installed:  python bench/bench_grade.py [--runs 7] [--repeat 40]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def wall(cmd: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}): {done.stderr.decode()[-500:]}")
    return elapsed


def cold_ratio(runs: int) -> tuple[float, float]:
    """Median wall time of `python -c "import torch"` and of `grade ex03 solutions/ex03.py`, interleaved."""
    grade = [str(Path(sys.executable).parent / "grade"), "ex03", "solutions/ex03.py"]
    torch_only = [sys.executable, "-c", "import torch"]
    wall(torch_only)  # let the page cache hold torch's files before timing anything
    torch_times, grade_times = [], []
    for _ in range(runs):
        torch_times.append(wall(torch_only))
        grade_times.append(wall(grade))
    return statistics.median(torch_times), statistics.median(grade_times)


def warm_cost(repeat: int, *, pid_namespace: bool = False) -> tuple[float, float]:
    """Median and 90th-percentile seconds to grade one more ex03 submission in a warm process."""
    from grader.config import find_config, load_settings
    from grader.exercise import load_exercise
    from grader.grade import grade_submission, hidden_seeds
    from grader.oracle import build_oracle
    from grader.source import read_submission
    from grader.sandbox.spawner import Spawner, warm_up

    warm_up()
    with Spawner() as spawner:  # forked before the exercise is read, as the grader does
        settings = load_settings(find_config(ROOT)).with_overrides(pid_namespace=pid_namespace or None)
        exercise = load_exercise(settings.exercises_dir, "ex03")
        oracle = build_oracle(exercise)
        submission = read_submission(ROOT / "solutions" / "ex03.py")
        grade_submission(exercise, submission, settings, seeds=hidden_seeds(3), oracle=oracle, spawner=spawner)
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            grade = grade_submission(exercise, submission, settings, seeds=hidden_seeds(3), oracle=oracle,
                                     spawner=spawner)
            times.append(time.perf_counter() - start)
            assert grade.status == "passed", grade
    times.sort()
    return statistics.median(times), times[int(0.9 * (len(times) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="cold runs of each command")
    parser.add_argument("--repeat", type=int, default=40, help="warm gradings in one process")
    parser.add_argument("--warm-only", action="store_true", help="skip the cold runs")
    parser.add_argument("--pid-namespace", action="store_true",
                        help="sandbox.pid_namespace: true (a tree per child, where the launcher has none)")
    args = parser.parse_args()
    if not args.warm_only:
        torch_s, grade_s = cold_ratio(args.runs)
        print(f"python -c 'import torch'      median {torch_s:.3f} s over {args.runs} runs")
        print(f"grade ex03 solutions/ex03.py  median {grade_s:.3f} s over {args.runs} runs")
        print(f"ratio                         {grade_s / torch_s:.2f}  (target <= 1.3)")
    median, p90 = warm_cost(args.repeat, pid_namespace=args.pid_namespace)
    print(f"each further ex03 grading     median {median * 1000:.1f} ms, p90 {p90 * 1000:.1f} ms over "
          f"{args.repeat} (target median <= 50 ms; 5 trials: 2 public + 3 hidden, oracle included)")


if __name__ == "__main__":
    main()
