"""The zygote and its launchers: a lost launcher is replaced by a fresh one, and a hung one is found out."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from conftest import _course

from grader.grade import prepare
from grader.sandbox.pool import Launchers, Zygote
from grader.sandbox.runners import can_fork
from grader.source import read_submission

pytestmark = pytest.mark.needs_linux_sandbox  # the fork runner's Linux isolation; skipped on the portable runner

ZYGOTE = Zygote() if can_fork() else None  # made at import, like the module-level launcher in conftest: before this module reads exercises


@pytest.fixture(scope="module", autouse=True)
def _close_zygote():
    yield
    if ZYGOTE is not None:
        ZYGOTE.close()


def _plan(tmp_path: Path, code: str):
    settings, exercise, _ = _course()
    path = tmp_path / "ex03.py"
    path.write_text(code, encoding="utf-8")
    return prepare(exercise, read_submission(path), settings.with_overrides(timeout_s=3.0), seeds=(1,)).plan


def test_a_killed_launcher_is_reported_lost_and_replaced_by_one_that_works(tmp_path: Path) -> None:
    launchers = Launchers(ZYGOTE, 1)
    try:
        first = launchers.spawners[0]
        os.kill(first.pid, signal.SIGKILL)
        first.start(_plan(tmp_path, "x = 1\n"))
        assert first.wait().lost is not None
        fresh = launchers.replace(first)
        assert launchers.spawners == [fresh] and fresh.pid != first.pid
        fresh.start(_plan(tmp_path, "print('hello from the fresh launcher')\n"))
        run = fresh.wait()
        assert run.lost is None and b"hello from the fresh launcher" in run.output
    finally:
        launchers.close()


def test_a_launcher_that_stops_answering_is_overdue_and_one_that_answers_is_ready(tmp_path: Path) -> None:
    launchers = Launchers(ZYGOTE, 2)
    try:
        quick, stuck = launchers.spawners
        quick.start(_plan(tmp_path, "x = 1\n"))
        stuck.start(_plan(tmp_path, "while True:\n    pass\n"))  # its launcher answers only at the 3 s timeout
        started = time.monotonic()
        answered, overdue = launchers.ready({quick: started + 30, stuck: started + 30}, 10.0)
        assert answered == [quick] and overdue == []
        assert quick.wait().lost is None
        answered, overdue = launchers.ready({stuck: time.monotonic() + 0.2}, 10.0)
        assert answered == [] and overdue == [stuck] and time.monotonic() - started < 5
        fresh = launchers.replace(stuck)
        assert stuck not in launchers.spawners and fresh in launchers.spawners
    finally:
        launchers.close()


def test_a_fresh_zygote_holds_nothing_of_the_process_that_started_it(tmp_path: Path, monkeypatch) -> None:
    """Zygote.fresh (a Dask worker's): its children hold nothing of the memory of the process that started it."""
    import sys
    import types

    probe = ("import os, sys\nprint('marker', '_held_by_the_starter' in sys.modules)\n"
             "print('dask env', os.environ.get('DASK_SCHEDULER_ADDRESS'))\n")
    monkeypatch.setitem(sys.modules, "_held_by_the_starter", types.ModuleType("_held_by_the_starter"))
    monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", "tcp://10.0.0.1:8786")
    outputs = {}
    for name, make in (("forked", Zygote), ("fresh", Zygote.fresh)):
        zygote = make()
        launchers = Launchers(zygote, 1)
        try:
            spawner = launchers.spawners[0]
            spawner.start(_plan(tmp_path, probe))
            outputs[name] = spawner.wait().output.decode()
        finally:
            launchers.close()
            zygote.close()
    assert "marker True" in outputs["forked"]  # a fork copies the starter's memory: the test can fail
    assert "marker False" in outputs["fresh"], outputs["fresh"]
    assert all("dask env None" in text for text in outputs.values())  # the child's environment is its own anyway
