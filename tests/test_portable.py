"""The portable runner (grader.sandbox.portable): pre-started interpreters without fork, graded as the fork runner grades."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from xml.etree import ElementTree

import pytest
from click.testing import CliRunner

from conftest import HIDDEN_SEEDS, PORTABLE, REPO, SOLUTIONS, _course
from grader.cli import main
from grader.config import load_settings
from grader.errors import ConfigError, SandboxTooWeak
from grader.grade import grade_submission
from grader.report import PORTABLE_NOTICE, render
from grader.sandbox import runners
from grader.sandbox.portable import PortableSpawner
from grader.source import read_submission


@pytest.fixture(scope="module")
def portable():
    with PortableSpawner(keep_warm=True) as spawner:
        yield spawner


def _grade(spawner, path: Path, **limits):
    settings, exercise, oracle = _course()
    return grade_submission(exercise, read_submission(path), settings.with_overrides(**limits), seeds=HIDDEN_SEEDS,
                            oracle=oracle, spawner=spawner)


def _write(tmp_path: Path, code: str, name: str = "submission.py") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(code), encoding="utf-8")
    return path


def _judged(grade) -> tuple:
    """Everything the grade says about the submission, not about where or how fast it ran."""
    checks = tuple((c.name, c.passed, c.score, c.diagnosis, c.message) for c in grade.checks)
    return grade.status, grade.score, grade.error, checks


@pytest.mark.skipif(not runners.can_fork(), reason="the fork runner to compare with needs Linux")
@pytest.mark.parametrize("name", ["ex03.py", "wrong/ex03_accumulated.py", "wrong/ex03_sign.py"])
def test_a_solution_and_wrong_answers_grade_the_same_as_with_the_fork_runner(portable, name):
    from grader.sandbox.spawner import Spawner

    with Spawner() as fork:
        forked = _grade(fork, SOLUTIONS / name)
    ported = _grade(portable, SOLUTIONS / name)
    assert _judged(ported) == _judged(forked)
    assert ported.sandbox.startswith("portable: fewer protections")
    assert (ported.status == "passed") == (name == "ex03.py")


def test_the_level_is_named_in_every_report(portable, tmp_path):
    grade = _grade(portable, SOLUTIONS / "ex03.py")
    assert grade.status == "passed", grade.error
    assert grade.sandbox.startswith("portable: fewer protections (a subprocess with time, output")
    assert PORTABLE_NOTICE in render(grade)  # always, not only with --verbose
    verbose = render(grade, verbose=True)
    assert f"sandbox: {grade.sandbox}" in verbose and PORTABLE_NOTICE not in verbose


def test_the_timeout_kills_the_whole_tree_with_a_grandchild(portable, tmp_path):
    marker = tmp_path / "grandchild.pid"
    path = _write(tmp_path, f"""\
        import subprocess, sys, time
        subprocess.Popen([sys.executable, "-c", "import os, time; open({str(marker)!r}, 'w').write(str(os.getpid()));"
                                                " time.sleep(120)"])
        def q_backward(a, b):
            while True:
                time.sleep(0.01)
        """)
    started = time.monotonic()
    grade = _grade(portable, path, timeout_s=2.0)
    assert grade.error is not None and grade.error.kind == "timeout", grade.error
    assert time.monotonic() - started < 30
    assert marker.is_file(), "the grandchild never started: the test proves nothing"
    pid = int(marker.read_text())
    for _ in range(100):  # reaped by init (or a subreaper) once killed
        if not _alive(pid):
            break
        time.sleep(0.05)
    assert not _alive(pid), f"grandchild {pid} outlived the timeout"


def _alive(pid: int) -> bool:
    if os.name == "nt":
        found = subprocess.run(["tasklist", "/FI", f"PID eq {pid}"], capture_output=True, text=True).stdout
        return str(pid) in found
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie not yet reaped is dead too
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


def test_printing_past_the_output_cap_stops_the_run(portable, tmp_path):
    path = _write(tmp_path, """\
        def q_backward(a, b):
            while True:
                print("x" * 1000)
        """)
    grade = _grade(portable, path, output_limit_kb=64, timeout_s=20.0)
    assert grade.error is not None and grade.error.kind == "output_limit", grade.error
    assert grade.seconds < 15


@pytest.mark.skipif(sys.platform == "darwin", reason="macOS does not enforce RLIMIT_AS: no memory limit there")
def test_memory_past_the_limit_is_memory(portable, tmp_path):
    path = _write(tmp_path, """\
        import torch
        def q_backward(a, b):
            big = torch.ones(250 * 10**6)
        """)
    grade = _grade(portable, path, memory_mb=64)
    assert grade.error is not None and grade.error.kind == "memory", grade.error
    assert "big = torch.ones(250 * 10**6)" in grade.error.message


def test_a_course_that_requires_more_refuses_it_before_student_code_runs(portable, tmp_path):
    marker = tmp_path / "ran"
    path = _write(tmp_path, f"open({str(marker)!r}, 'w').close()\ndef q_backward(a, b):\n    return a\n")
    with pytest.raises(SandboxTooWeak) as refused:
        _grade(portable, path, require="baseline")
    message = refused.value.message
    assert "config.yaml" in message and "sandbox.require: baseline" in message and "portable" in message
    assert "sandbox.require: portable" in message  # the fix, named
    assert not marker.exists()


def test_the_environment_variable_wins_over_config_yaml(monkeypatch):
    monkeypatch.setenv(runners.VARIABLE, "portable")
    assert runners.choose("fork") == "portable"
    monkeypatch.setenv(runners.VARIABLE, "forked")
    with pytest.raises(ConfigError, match="GRADER_RUNNER='forked'.*auto, fork, portable"):
        runners.choose()
    monkeypatch.delenv(runners.VARIABLE)
    assert runners.choose("portable") == "portable"


def test_auto_is_portable_wherever_fork_is_not_linux(monkeypatch):
    monkeypatch.delenv(runners.VARIABLE, raising=False)
    monkeypatch.setattr(sys, "platform", "darwin")
    assert runners.choose("auto") == "portable"
    with pytest.raises(ConfigError, match="sandbox.runner: fork in config.yaml: the fork runner needs Linux"):
        runners.choose("fork")


def test_sandbox_runner_in_config_yaml(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text("schema: 1\nsandbox:\n  runner: portable\n", encoding="utf-8")
    assert load_settings(config).runner == "portable"
    config.write_text("schema: 1\nsandbox:\n  timeout_s: 2\n  runner: spawn\n", encoding="utf-8")
    with pytest.raises(ConfigError) as bad:
        load_settings(config)
    assert bad.value.message.startswith(f"{config}:4: config.sandbox.runner: must be one of auto, fork, portable")


def test_grade_and_check_exercises_run_on_it(monkeypatch):
    monkeypatch.setenv(runners.VARIABLE, "portable")
    monkeypatch.chdir(REPO)
    graded = CliRunner().invoke(main, ["ex01", str(SOLUTIONS / "ex01.py")])
    assert graded.exit_code == 0, graded.output
    assert PORTABLE_NOTICE in graded.output
    checked = CliRunner().invoke(main, ["check-exercises", "ex01"])
    assert checked.exit_code == 0, checked.output


BLOCKED = ("resource", "fcntl", "termios", "pwd", "grp")  # what Windows does not have


def test_the_portable_path_imports_nothing_posix_only():
    """As on Windows: `import grader`, `grade --help` and the portable runner's modules need none of BLOCKED."""
    code = textwrap.dedent(f"""\
        import sys
        for name in {BLOCKED!r}:
            sys.modules[name] = None  # `import name` now raises ImportError
        import grader, grader.grade, grader.report, grader.sandbox.portable, grader.sandbox.interpreter
        import grader.sandbox.runners, grader.course.batch, grader.course.selfcheck, grader.sandbox.child
        from click.testing import CliRunner
        from grader.cli import main
        result = CliRunner().invoke(main, ["--help"])
        assert result.exit_code == 0, result.output
        print("ok")
        """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.stdout.strip() == "ok", done.stderr


# The representative subset that proves the pipeline on the portable runner in CI, where README's command
# (`python -m pytest`) runs the suite on the fork runner: every way a submission ends (test_sandbox), free-form
# notebooks re-run per trial, and a batch interrupted by kill -9 that the next run completes.
SUBSET = ["tests/test_sandbox.py",
          "tests/test_notebook_grading.py::test_a_failing_cell_is_reported_and_later_cells_still_run",
          "tests/test_notebook_grading.py::test_every_trial_reruns_the_cells_with_fresh_inputs",
          "tests/test_notebook_grading.py::test_a_forged_end_of_the_run_does_not_hide_a_timeout",
          "tests/test_batch.py::test_kill_9_in_the_middle_loses_nothing_and_the_next_run_goes_on"]


@pytest.mark.skipif(PORTABLE, reason="this run is already on the portable runner")
def test_a_representative_subset_passes_on_the_portable_runner(tmp_path):
    report = tmp_path / "junit.xml"
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:randomly", "-p", "no:cacheprovider",
                           f"--junitxml={report}", *SUBSET], capture_output=True, text=True, cwd=REPO, timeout=1800,
                          env={**os.environ, runners.VARIABLE: "portable", "PYTHONPATH": str(REPO)})
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    suite = ElementTree.parse(report).getroot().find("testsuite")
    assert suite is not None and int(suite.get("tests")) - int(suite.get("skipped")) >= 40  # the subset really ran
