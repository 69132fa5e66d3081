"""The deadline on trusted code in the grading process: it stops Python code, on the main thread and elsewhere."""

from __future__ import annotations

import signal
import threading
import time

import pytest

from grader.deadline import AGAIN_S, Overrun, call_with_deadline


def _spin() -> None:
    while True:
        pass


def _swallowing() -> None:
    """Code that catches the first Overruns and goes on: the alarm fires again until it gives up."""
    caught = 0
    while True:
        try:
            while True:
                sum(range(100))
        except Overrun:
            caught += 1
            if caught == 3:
                raise


def _stops_in_time(fn, seconds: float, extra: float = 0.0) -> None:
    started = time.monotonic()
    with pytest.raises(Overrun):
        call_with_deadline(fn, seconds)
    assert seconds <= time.monotonic() - started < seconds + extra + 1.0


def _in_a_thread(check) -> None:
    failures: list[BaseException] = []

    def run() -> None:
        try:
            check()
        except BaseException as exc:  # noqa: BLE001 - reported in the test's own thread
            failures.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    worker.join(30)
    assert not worker.is_alive() and failures == []


def _nothing_arrives_late() -> None:
    assert call_with_deadline(lambda: 42, 0.2) == 42
    time.sleep(0.4)  # an alarm left armed would raise Overrun here


def test_code_on_the_main_thread_is_stopped_at_the_deadline():
    _stops_in_time(_spin, 0.3)
    _stops_in_time(_swallowing, 0.3, extra=2 * AGAIN_S)
    _nothing_arrives_late()


def test_code_on_another_thread_is_stopped_at_the_deadline():
    _in_a_thread(lambda: _stops_in_time(_spin, 0.3))
    _in_a_thread(lambda: _stops_in_time(_swallowing, 0.3, extra=2 * AGAIN_S))
    _in_a_thread(_nothing_arrives_late)


def test_an_alarm_set_by_someone_else_is_given_back():
    fired: list[int] = []
    previous = signal.signal(signal.SIGALRM, lambda signum, frame: fired.append(signum))
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.6)
        assert call_with_deadline(lambda: time.sleep(0.1) or "done", 5.0) == "done"
        remaining, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 0.3 < remaining <= 0.5
        time.sleep(0.7)
        assert fired == [signal.SIGALRM]
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
