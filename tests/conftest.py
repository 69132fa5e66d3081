"""Shared fixtures: the repository's own course, the ex03 exercise, and a fast way to grade a code string."""

from __future__ import annotations

import functools
import gc
import sys
import textwrap
from pathlib import Path

import pytest

from grader.config import Settings, load_settings
from grader.exercise import Exercise, load_exercise
from grader.grade import grade_submission
from grader.result import Grade
from grader.source import read_submission
from grader.sandbox.runners import choose, open_spawner
from grader.sandbox.spawner import warm_up

# GRADER_RUNNER=portable runs the whole suite on the portable runner; tests of the Linux sandbox are then skipped.
PORTABLE = choose() == "portable"
# Warm autograd, then fork the sandbox launcher before any test reads an exercise: the launcher's memory,
# and so every child's, then holds no reference solution (tests/test_sandbox.py proves a child cannot find one).
if not PORTABLE:
    warm_up()
SPAWNER = open_spawner(keep_warm=True, full_warm=True)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "needs_linux_sandbox: needs the fork runner's Linux isolation (namespaces, "
                                       "seccomp, cgroups, a launcher); skipped on the portable runner")
    config.addinivalue_line("markers", "needs_memory_limit: needs a memory limit on the child; skipped on macOS, "
                                       "where the portable runner has none")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not PORTABLE:
        return
    skip = pytest.mark.skip(reason="needs the fork runner's Linux sandbox; this run uses the portable runner "
                                   "(GRADER_RUNNER=portable, or not Linux)")
    unlimited = pytest.mark.skip(reason="the portable runner limits no memory on macOS (RLIMIT_AS not enforced)")
    for item in items:
        if item.get_closest_marker("needs_linux_sandbox"):
            item.add_marker(skip)
        elif item.get_closest_marker("needs_memory_limit") and sys.platform == "darwin":
            item.add_marker(unlimited)


@pytest.fixture(autouse=True)
def _keep_gc_enabled():
    """`grade run` disables the garbage collector (it is meant to be a one-shot process); undo that here."""
    enabled = gc.isenabled()
    yield
    if enabled:
        gc.enable()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    SPAWNER.close()

REPO = Path(__file__).resolve().parent.parent
CONFIG = REPO / "config.yaml"
SOLUTIONS = REPO / "solutions"
HIDDEN_SEEDS = (4242, 4243)  # fixed hidden seeds: every run of the suite grades the same trials
TIMEOUT_S = 3.0  # short, so the timeout tests stay fast; a correct ex03 run takes well under a second


@functools.lru_cache(maxsize=None)
def _course() -> tuple[Settings, Exercise, object]:
    from grader.oracle import build_oracle

    settings = load_settings(CONFIG)
    exercise = load_exercise(settings.exercises_dir, "ex03")
    return settings, exercise, build_oracle(exercise)


def grade_code(tmp_path: Path, code: str | bytes, *, name: str = "submission.py",
               seeds: tuple[int, ...] = HIDDEN_SEEDS, **limit_overrides) -> Grade:
    """Write `code` (dedented; bytes are written as they are) to tmp_path/name and grade it against ex03.

    Uses the repository's config.yaml with a 3 s timeout and fixed hidden seeds; keyword arguments override
    the sandbox limits (timeout_s, memory_mb, output_limit_kb, result_limit_mb, max_tensor_elements).
    """
    settings, exercise, oracle = _course()
    path = tmp_path / name
    if isinstance(code, bytes):
        path.write_bytes(code)
    else:
        path.write_text(textwrap.dedent(code), encoding="utf-8")
    limit_overrides.setdefault("timeout_s", TIMEOUT_S)
    return grade_submission(exercise, read_submission(path), settings.with_overrides(**limit_overrides),
                            seeds=seeds, oracle=oracle, spawner=SPAWNER)


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def settings() -> Settings:
    """The repository's course settings, exactly as its config.yaml declares them."""
    return _course()[0]


@pytest.fixture(scope="session")
def ex03() -> Exercise:
    """The loaded ex03 exercise of the repository's course."""
    return _course()[1]


@pytest.fixture(scope="session")
def ex03_oracle():
    return _course()[2]


@pytest.fixture(name="grade_code")
def grade_code_fixture():
    """The grade_code(tmp_path, code, **limit_overrides) helper, for tests that prefer a fixture to an import."""
    return grade_code
