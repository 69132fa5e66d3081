"""`grade ex03 --watch`: grade the file again on every save and print each report, the grader kept warm between saves."""

from __future__ import annotations

import datetime
import gc
import os
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import click

from ..config import Settings
from ..errors import GraderError, UsageError
from .locate import SUFFIXES

SEPARATOR = "-" * 72


@dataclass(frozen=True)
class Options:
    """How each report is printed."""

    every: bool
    colour: bool
    verbose: bool
    terminal: bool


def watch_submission(ids: list[str], submission: Path | None, *, every: bool, settings: Settings,
                     reload: Callable[[], Settings], config: Path | None, output_format: str, seed: int | None,
                     hidden: int | None, color: bool | None, verbose: bool) -> None:
    """Grade `submission` (default: ./EXERCISE.py or ./EXERCISE.ipynb) now and after every save, until Ctrl-C.

    Raises GraderError only for what stops it from starting; later errors (an exercise being edited) are printed
    in place of a report and the watch goes on. Exits 0 on Ctrl-C, with the launcher and its children stopped.
    """
    if output_format != "text":
        raise UsageError(f"--watch prints text reports; drop --format {output_format} (or drop --watch)")
    targets = (submission,) if submission else tuple(Path(f"{ids[0]}{suffix}") for suffix in SUFFIXES)
    for target in targets:
        if not target.parent.absolute().is_dir():
            raise UsageError(f"cannot watch {target}: the folder {target.parent} does not exist")
    terminal = sys.stdout.isatty()
    options = Options(every=every, colour=terminal if color is None else color, verbose=verbose, terminal=terminal)
    session: Any = None
    zygote: Any = None
    signal.signal(signal.SIGTERM, _interrupt)  # stopped by a tool or `kill`: the same clean exit as Ctrl-C
    try:
        import torch  # noqa: F401 - imported before the fork, so the launchers and their children share it

        from ..grade import hidden_seeds
        from ..platforms.stored import load_stored
        from ..sandbox.pool import Zygote
        from ..warm import WarmGrader

        zygote = Zygote()  # forked before any exercise is read: it forks each launcher, the first and any later
        first = [settings]
        session = WarmGrader(zygote, settings=lambda: first.pop() if first else reload(), config=config,
                             stored=load_stored, seed_base=hidden_seeds(1, seed)[0], hidden=hidden)
        gc.enable()  # a long-lived process: the one-shot command's disabled collector would let cycles pile up
        gc.freeze()  # torch's import is kept for good: leave it out of every later collection
        _loop(session, ids, targets, options)
    except KeyboardInterrupt:
        pass
    finally:
        for stop in (signal.SIGINT, signal.SIGTERM):  # a second Ctrl-C must not interrupt the clean-up
            signal.signal(stop, signal.SIG_IGN)
        if session is not None:
            session.close()
        if zygote is not None:
            zygote.close()
    click.echo("\nstopped watching")
    sys.exit(0)


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def _loop(session: Any, ids: list[str], targets: tuple[Path, ...], options: Options) -> None:
    """Grade now, then on every save of a target or of a course file the grades depend on."""
    from ..saves import Watcher, files_key, read_whole

    shown_waiting = ""
    last: tuple[Any, ...] | None = None
    reports = 0

    def course_files() -> tuple[Path, ...]:
        try:
            return tuple(p for exercise_id in ids for p in session.course_files(exercise_id))
        except GraderError:
            return ()

    def attempt(noticed: float) -> None:
        nonlocal shown_waiting, last, reports
        path, note = _pick(targets)
        snapshot = read_whole(path) if path is not None else None
        waiting = _waiting(targets, snapshot)
        if waiting:
            if waiting != shown_waiting:
                click.echo(waiting)
            shown_waiting, last = waiting, None
            return
        assert snapshot is not None and snapshot.data is not None and path is not None
        key = (path, snapshot.key, files_key(course_files()))
        if key == last:
            return  # saved with the same code (autosave, or a notebook's outputs only): nothing to grade again
        try:
            text = _grade_text(session, ids, path, snapshot.data, options)
        except GraderError as error:
            text = f"error: {error.message}"
        if read_whole(path).key != snapshot.key:
            return  # saved again while it was graded: the watcher holds that save, whose report is the one to show
        last, shown_waiting = key, ""
        took_ms = (time.monotonic() - noticed) * 1000
        try:
            saved = datetime.datetime.fromtimestamp(os.stat(path).st_mtime).strftime("%H:%M:%S")
        except OSError:
            return  # deleted since: the watcher holds that change
        if options.terminal:
            click.clear()
        elif reports:
            click.echo(SEPARATOR)
        reports += 1
        if note:
            click.echo(note)
        click.echo(text)
        click.echo(f"\nwatching {path.name} \u2014 saved {saved}, graded in {took_ms:.0f} ms; Ctrl-C to stop")

    for _ in Watcher(tuple(targets) + course_files()).saves():  # an empty batch first: grade what is there now
        attempt(time.monotonic())


def _pick(targets: tuple[Path, ...]) -> tuple[Path | None, str]:
    """The target to grade: the one that exists, else the one saved last, with a note when both exist."""
    found = [t for t in targets if t.is_file()]
    if len(found) < 2:
        return (found[0] if found else None), ""
    newer, older = sorted(found, key=lambda p: p.stat().st_mtime_ns, reverse=True)
    return newer, f"(both {older.name} and {newer.name} are here: grading {newer.name}, the one saved last)"


def _waiting(targets: tuple[Path, ...], snapshot: Any) -> str:
    """What to say while there is nothing to grade: no file yet, or one emptied by a save still being written."""
    names = " or ".join(t.name for t in targets)
    folder = targets[0].parent.absolute()
    if snapshot is None or snapshot.data is None:
        return f"waiting for {names} in {folder}: it does not exist yet (Ctrl-C to stop)"
    if not snapshot.data.strip():
        return f"waiting: {snapshot.path.name} is empty (Ctrl-C to stop)"
    return ""


def _grade_text(session: Any, ids: list[str], path: Path, data: bytes, options: Options) -> str:
    """Every exercise's report for these bytes of the file, as `grade` prints them."""
    from ..report import render
    from ..source import parse_submission

    submission = parse_submission(path, data)
    grades = []
    for exercise_id in ids:
        grade = session.grade(exercise_id, submission)
        if not options.every or not (grade.error is not None and grade.error.kind == "missing"):
            grades.append(grade)
    if not grades:
        return (f"{path.name} answers none of the exercises: it defines none of their functions and holds none "
                f"of their notebook variables")
    text = ("\n\n" + "=" * 72 + "\n\n").join(render(g, colour=options.colour, verbose=options.verbose) for g in grades)
    if options.every:
        score, max_score = sum(g.score for g in grades), sum(g.max_score for g in grades)
        text += (f"\n\ntotal: {score:g}/{max_score:g} over {len(grades)} exercise(s): "
                 + ", ".join(g.exercise for g in grades))
    return text
