"""Measure `grade ex03 --watch`: the time from a save to its report on the watcher's stdout.

Starts `grade ex03 --watch` in a temporary folder holding a copy of the reference solution, waits for the first
(cold) report, then saves N times, alternating a correct and a wrong answer, each saved as vim, VS Code and
Jupyter do (a temporary file renamed over the old one). Each latency runs from the moment the save begins to the
moment the report's last line (its status line) is read from the watcher's stdout.

Run from the repository root with the project installed:  python bench/bench_watch.py [--saves 40] [--pause 0.4]
"""

from __future__ import annotations

import argparse
import os
import queue
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATUS = re.compile(r"^watching \S+ \u2014 saved \S+, graded in (\d+) ms; Ctrl-C to stop$")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def save(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.swp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--saves", type=int, default=40, help="saves after the first report")
    parser.add_argument("--pause", type=float, default=0.4, help="seconds between a report and the next save")
    parser.add_argument("--settle", type=float, default=2.0,
                        help="seconds between the cold report and the first save (a student reading it)")
    args = parser.parse_args()

    right = (ROOT / "solutions" / "ex03.py").read_text(encoding="utf-8")
    wrong = (ROOT / "solutions" / "wrong" / "ex03_accumulated.py").read_text(encoding="utf-8")
    folder = Path(tempfile.mkdtemp(prefix="bench-watch-"))
    answer = folder / "ex03.py"
    shutil.copy(ROOT / "solutions" / "ex03.py", answer)
    script = Path(sys.executable).parent / "grade"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "grader"]
    reports: queue.Queue[tuple[float, int, str]] = queue.Queue()

    started = time.perf_counter()
    process = subprocess.Popen([*command, "ex03", "--watch", "--config", str(ROOT / "config.yaml")], cwd=folder,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, bufsize=1,
                               env={**os.environ, "PYTHONPATH": str(ROOT)})

    def read() -> None:
        assert process.stdout is not None
        body: list[str] = []
        for line in process.stdout:
            now = time.perf_counter()
            body.append(line)
            found = STATUS.match(line.rstrip("\n"))
            if found:
                reports.put((now, int(found.group(1)), "".join(body)))
                body = []

    threading.Thread(target=read, daemon=True).start()
    latencies, own = [], []
    try:
        arrived, graded_ms, text = reports.get(timeout=120)
        cold = arrived - started
        assert "score: 10/10" in text, text
        time.sleep(args.settle)
        for index in range(args.saves):
            correct = index % 2 == 1
            begun = time.perf_counter()
            save(answer, right if correct else wrong)
            arrived, graded_ms, text = reports.get(timeout=60)
            assert ("score: 10/10" in text) == correct, text
            latencies.append(arrived - begun)
            own.append(graded_ms)
            time.sleep(args.pause)
    finally:
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=60)
        shutil.rmtree(folder, ignore_errors=True)

    ms = [1000 * s for s in latencies]
    print(f"cold: start of `grade ex03 --watch` to its first report   {cold:.3f} s")
    print(f"save to report over {len(ms)} saves (atomic rename, correct/wrong alternating):")
    print(f"  median {statistics.median(ms):.1f} ms, p90 {percentile(ms, 0.9):.1f} ms, max {max(ms):.1f} ms"
          f"  (target < 150 ms)")
    print(f"  the watcher's own 'graded in' (event noticed to report): median {statistics.median(own):.0f} ms, "
          f"p90 {percentile(own, 0.9):.0f} ms, max {max(own):.0f} ms")
    print(f"exit code after SIGINT: {code}")


if __name__ == "__main__":
    main()
