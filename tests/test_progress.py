"""Batch progress: a bar with throughput and ETA on a terminal, a line per tenth in a log."""

from __future__ import annotations

from grader.course.progress import Progress


def test_a_terminal_gets_a_bar_with_rate_and_eta_redrawn_at_most_ten_times_a_second() -> None:
    progress = Progress(total=4, terminal=True, started=100.0)
    first = progress.update(now=101.0)
    assert first == "\r[#######.....................] 1/4 graded, 1.0/s, ETA 3s\x1b[K"
    assert progress.update(now=101.05) is None  # too soon to redraw
    assert progress.update(problem=True, now=102.0).endswith("3/4 graded, 1 could not run to the end, 1.5/s, "
                                                             "ETA 1s\x1b[K")
    last = progress.update(now=102.01)  # the last one is always shown, and ends the line
    assert last.startswith("\r[############################] 4/4 graded") and last.endswith("\n")


def test_a_log_gets_a_plain_line_per_tenth_and_the_last_one() -> None:
    progress = Progress(total=100, terminal=False, started=0.0)
    lines = [progress.update(now=0.5 + i * 0.01) for i in range(100)]
    shown = [line for line in lines if line]
    assert len(shown) == 11 and all("\r" not in line and line.endswith("\n") for line in shown)
    assert shown[0].startswith("1/100 graded") and shown[-1].startswith("100/100 graded in")
    slow = Progress(total=100, terminal=False, started=0.0)
    slow.update(now=1.0)
    assert slow.update(now=2.0) is None
    assert slow.update(now=12.0) == "3/100 graded, 0.2/s, ETA 6m28s\n"  # ten seconds since the last line
