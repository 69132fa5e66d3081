"""Stop trusted code that runs in the grading process (the reference, known mistakes) at a wall-clock deadline.

On the main thread a SIGALRM timer interrupts it. Signals reach only the main thread, so elsewhere a watchdog
thread makes the running thread raise (CPython's PyThreadState_SetAsyncExc). Either way only Python code is
interrupted, between two instructions: one long torch call runs to its end first.
"""

from __future__ import annotations

import ctypes
import signal
import threading
import time
from typing import Any, Callable, TypeVar

T = TypeVar("T")
AGAIN_S = 0.05  # after an Overrun, the alarm fires again this often until the code has stopped


class Overrun(BaseException):
    """Raised inside code that ran past its deadline; a BaseException, so `except Exception` cannot swallow it."""


def call_with_deadline(fn: Callable[[], T], seconds: float) -> T:
    """fn(), interrupted by Overrun once it has run for `seconds` of wall-clock time."""
    if threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer"):
        return _with_alarm(fn, seconds)
    return _with_watchdog(fn, seconds)


def _with_alarm(fn: Callable[[], T], seconds: float) -> T:
    armed = True

    def on_alarm(signum: int, frame: Any) -> None:
        if armed:  # an alarm delivered once fn() has returned is late: ignore it
            signal.setitimer(signal.ITIMER_REAL, AGAIN_S)  # in case the code catches this one and goes on
            raise Overrun

    started = time.monotonic()
    previous = signal.signal(signal.SIGALRM, on_alarm)
    outer, _ = signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        try:
            return fn()
        finally:
            armed = False
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer > 0:  # someone else's alarm was pending (a test runner's timeout): give it back what is left
            signal.setitimer(signal.ITIMER_REAL, max(outer - (time.monotonic() - started), 1e-3))


def _with_watchdog(fn: Callable[[], T], seconds: float) -> T:
    target = threading.get_ident()
    lock = threading.Lock()
    armed = True
    stop = threading.Event()

    def watch() -> None:
        wait = seconds
        while not stop.wait(wait):
            with lock:
                if not armed:
                    return
                _raise_in(target, Overrun)
            wait = AGAIN_S  # in case the code catches this one and goes on

    threading.Thread(target=watch, name="grader-deadline", daemon=True).start()
    try:
        return fn()
    finally:
        while True:  # an Overrun may still land in here: retry until disarmed, with none left pending
            try:
                with lock:
                    armed = False
                    _raise_in(target, None)
                break
            except Overrun:
                continue
        stop.set()


def _raise_in(thread: int, exception: type[BaseException] | None) -> None:
    """Make `thread` raise `exception` at its next Python instruction (None: cancel one not yet raised)."""
    pending = None if exception is None else ctypes.py_object(exception)  # None is passed as NULL: cancel
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread), pending)
