"""The student's report: a header to read first, each cause once, time against the limit, whole output lines."""

from __future__ import annotations

import json
import math

from grader.export import grade_from_dict, grade_to_dict
from grader.report import render
from grader.result import CheckResult, Grade, GradeError

SIGN = "your grad_a has the wrong sign: got -1.0, expected 1.0.\nCheck the sign of the loss."


def _grade(checks: tuple[CheckResult, ...], **extra: object) -> Grade:
    base: dict = dict(exercise="ex03", title="Backward", version=1, submission="ex03.py", checks=checks,
                      public_seeds=(1, 2), sandbox="seccomp, namespaces, rlimits (a long informational line)",
                      seconds=1.25, trial_seconds=(0.41, 0.52), timeout_s=10.0)
    base.update(extra)
    return Grade(**base)


def _fail(name: str, message: str, *, mistake: str | None = None) -> CheckResult:
    return CheckResult(name=name, kind="gradient", passed=False, score=0.0, max_score=5.0, message=message,
                       diagnosis="sign", trial="public trial 1", mistake=mistake)


def test_the_header_gives_the_score_and_the_first_thing_to_fix():
    grade = _grade((CheckResult("value", "value", True, 5.0, 5.0), _fail("grad_a", SIGN)))
    lines = render(grade).split("\n")
    assert lines[2] == "5/10; fix first: grad_a: your grad_a has the wrong sign: got -1.0, expected 1.0."
    passed = _grade((CheckResult("value", "value", True, 5.0, 5.0),))
    assert render(passed).split("\n")[2] == "5/5: every check passed"


def test_the_header_names_the_error_first_and_cuts_a_long_first_line():
    long = "RuntimeError: " + "x" * 300
    error = GradeError("exception", f"{long}\nthe fix: call backward once")
    grade = _grade((_fail("grad_a", "not graded"),), error=error)
    header = render(grade).split("\n")[2]
    assert header.startswith("0/5; fix first: exception: RuntimeError: xxx") and header.endswith("...")
    assert len(header) < 140 and "the fix" not in header
    assert long in render(grade)  # the whole message is still in the body


def test_a_cause_failing_several_checks_is_explained_once():
    other = SIGN.replace("grad_a", "grad_b").replace("-1.0", "-2.0").replace("expected 1.0", "expected 2.0")
    same = (_fail("grad_a", SIGN), _fail("grad_b", other), _fail("grad_c", "another explanation"))
    text = render(_grade(same))
    assert text.count("Check the sign of the loss.") == 1
    # each check keeps its own values; the explanation is given once and pointed to
    assert "your grad_b has the wrong sign: got -2.0, expected 2.0.\n        same cause as grad_a, explained above" \
        in text
    assert "another explanation" in text and text.count("same cause as") == 1
    by_mistake = (_fail("grad_a", "grad_a: off by 2", mistake="doubled"), _fail("grad_b", "grad_b: off by 2",
                                                                              mistake="doubled"))
    text = render(_grade(by_mistake))
    assert "grad_a: off by 2" in text and "grad_b: off by 2" not in text and "same cause as grad_a" in text


def test_the_sandbox_line_only_when_verbose_and_always_in_json():
    grade = _grade((CheckResult("value", "value", True, 5.0, 5.0),))
    assert "sandbox:" not in render(grade)
    assert "sandbox: seccomp, namespaces" in render(grade, verbose=True)
    assert grade_to_dict(grade)["sandbox"] == grade.sandbox


def test_elapsed_time_per_trial_and_the_limit_are_shown_and_survive_json():
    grade = _grade((CheckResult("value", "value", True, 5.0, 5.0),))
    assert "time: 1.2 s of the 10 s limit (trials took 0.41 s, 0.52 s)" in render(grade)
    fast = _grade((), seconds=3.14, trial_seconds=(0.001, 2.5))
    assert "time: 3.1 s of the 10 s limit (trials took <0.01 s, 2.5 s)" in render(fast)
    again = grade_from_dict(json.loads(json.dumps(grade_to_dict(grade))))
    assert again.trial_seconds == (0.41, 0.52) and again.timeout_s == 10.0
    assert "time:" not in render(_grade((), timeout_s=0.0))  # never run: nothing to time


def test_times_the_child_sent_are_shown_bounded():
    grade = _grade((), trial_seconds=(math.nan, -1.0, 1e300, *([0.1] * 20)))
    line = next(line for line in render(grade).split("\n") if line.startswith("time:"))
    assert "(trials took ?, ?, ?, 0.10 s" in line and line.endswith(", ...)") and len(line) < 200


def test_output_lines_are_kept_whole():
    long = "loss " + "1234567890" * 40
    text = render(_grade((), output=f"{long}\nshort\n"))
    assert f"  | {long}" in text


def test_grade_exercise_reads_in_ten_seconds_and_verbose_adds_the_sandbox():
    from pathlib import Path

    from click.testing import CliRunner

    from grader.cli import main

    repo = Path(__file__).resolve().parent.parent
    args = ["ex03", str(repo / "solutions" / "wrong" / "ex03_sign.py"), "--hidden", "1", "--timeout", "5",
            "--config", str(repo / "config.yaml")]
    plain = CliRunner().invoke(main, args).stdout
    lines = plain.split("\n")
    assert lines[2].startswith("3/10; fix first: Q: got ["), lines[:4]
    assert "sandbox:" not in plain
    time = next(line for line in lines if line.startswith("time: "))
    assert time.endswith(" s)") and "of the 5 s limit (trials took " in time and time.count(" s,") == 2  # 3 trials
    verbose = CliRunner().invoke(main, [*args, "--verbose"]).stdout
    assert "\nsandbox: " in verbose and verbose.rstrip().endswith("score: 3/10")
