"""The student's report: a header to read first, each cause once, time against the limit, whole output lines."""

from __future__ import annotations

import json
import math
from types import SimpleNamespace

from conftest import grade_code

from grader.config import Limits
from grader.export import grade_from_dict, grade_to_dict
from grader.grade import _timeout_text
from grader.inputs import make_trials
from grader.report import elapsed, render
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
    by_mistake = (_fail("grad_a", "grad_a: off by 2\nYou called backward twice.", mistake="doubled"),
                  _fail("grad_b", "grad_b: off by 2\nYou called backward twice (b).", mistake="doubled"))
    text = render(_grade(by_mistake))
    assert text.count("You called backward twice") == 1 and "same cause as grad_a" in text
    assert "grad_b: off by 2\n        same cause as grad_a, explained above" in text
    repeated = render(_grade((_fail("grad_a", "not graded: it crashed"), _fail("grad_b", "not graded: it crashed"))))
    assert repeated.count("not graded: it crashed") == 2  # once in the body, once in the header; none repeated


def test_the_sandbox_line_only_when_verbose_and_always_in_json():
    grade = _grade((CheckResult("value", "value", True, 5.0, 5.0),))
    assert "sandbox:" not in render(grade)
    assert "sandbox: seccomp, namespaces" in render(grade, verbose=True)
    assert grade_to_dict(grade)["sandbox"] == grade.sandbox


def test_elapsed_time_per_trial_and_the_limit_are_shown_and_survive_json():
    grade = _grade((CheckResult("value", "value", True, 5.0, 5.0),))
    assert "time: 1.2 s of the 10 s limit (each took 0.41 s, 0.52 s)" in render(grade)  # hand-in count not known
    fast = _grade((), seconds=3.14, trial_seconds=(0.001, 2.5))
    assert "time: 3.1 s of the 10 s limit (each took <0.01 s, 2.5 s)" in render(fast)
    again = grade_from_dict(json.loads(json.dumps(grade_to_dict(grade))))
    assert again.trial_seconds == (0.41, 0.52) and again.timeout_s == 10.0
    assert "time:" not in render(_grade((), timeout_s=0.0))  # never run: nothing to time


def test_times_the_child_sent_are_shown_bounded():
    grade = _grade((), trial_seconds=(math.nan, -1.0, 1e300, *([0.1] * 20)))
    line = next(line for line in render(grade).split("\n") if line.startswith("time:"))
    assert "(each took ?, ?, ?, 0.10 s" in line and line.endswith(", ...)") and len(line) < 200


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
    sandbox = [line for line in lines if line.startswith("sandbox:")]  # shown unasked only at the weakest level
    assert sandbox in ([], ["sandbox: portable: fewer protections (a plain subprocess: no namespaces, no seccomp; see "
                            "docs/security.md)"]), sandbox
    time = next(line for line in lines if line.startswith("time: "))
    # 2 public + 1 hidden trial here; hand-in runs the course's 2 + 3 within the same limit
    assert "of the 5 s limit for 3 trials (each took " in time and time.count(" s,") == 2, time
    assert "; at hand-in the same 5 s covers 5 trials, about " in time, time
    verbose = CliRunner().invoke(main, [*args, "--verbose"]).stdout
    assert "\nsandbox: " in verbose and verbose.rstrip().endswith("score: 3/10")


def test_time_says_how_the_limit_scales_at_hand_in():
    same = _grade((), seconds=3.14, trial_seconds=(0.6,) * 5, public_seeds=(0, 1), hidden_seeds=(7, 8, 9),
                  handin_trials=5)
    assert "time: 3.1 s of the 10 s limit (5 trials, as at hand-in; each took 0.60 s, 0.60 s, 0.60 s, 0.60 s, " \
           "0.60 s)" in render(same)
    bundle = _grade((), seconds=1.5, trial_seconds=(0.6, 0.6), public_seeds=(0, 1), handin_trials=5)
    line = next(line for line in render(bundle).split("\n") if line.startswith("time:"))
    assert line == ("time: 1.5 s of the 10 s limit for 2 trials (each took 0.60 s, 0.60 s); at hand-in the same "
                    "10 s covers 5 trials, about 3.3 s at this pace")
    slow = _grade((), seconds=7.5, trial_seconds=(3.0, 3.0), public_seeds=(0, 1), handin_trials=5)
    assert ("at hand-in the same 10 s covers 5 trials, about 16.5 s at this pace: past the limit, make your code "
            "faster before you hand it in") in render(slow)
    cut = _grade((), seconds=10.0, trial_seconds=(3.0,), public_seeds=(0, 1), handin_trials=5)  # no pace to project
    assert render(cut).count("at this pace") == 0 and "covers 5 trials" in render(cut)
    again = grade_from_dict(json.loads(json.dumps(grade_to_dict(bundle))))
    assert again.handin_trials == 5 and elapsed(again) == line


def _run(*times: float, output_bytes: int = 0, freeform: bool = False) -> SimpleNamespace:
    messages = [{"kind": "trial", "index": i, "seconds": t, **({"freeform": True} if freeform else {})}
                for i, t in enumerate(times)]
    return SimpleNamespace(messages=messages, output_bytes=output_bytes)


def test_the_timeout_text_tells_slow_printing_and_endless_apart():
    trials = make_trials((0, 1), (7, 8, 9))
    limits = Limits(timeout_s=10.0)
    slow = _timeout_text(_run(3.0, 3.1), limits, trials, 2, " during hidden trial 1")
    assert slow.startswith("stopped after 10 s during hidden trial 1: your code is too slow rather than stuck: each "
                           "finished trial took 3.0 s, and the 5 trials must all finish within 10 s"), slow
    assert "loop that never ends" not in slow
    printing = _timeout_text(_run(0.01, output_bytes=400_000), limits, trials, 1, " during public trial 2")
    assert printing.startswith("stopped after 10 s during public trial 2, after printing 390 KB: printing that much "
                               "takes time; remove the prints inside loops"), printing
    endless = _timeout_text(_run(0.01, 0.02), limits, trials, 2, " during hidden trial 1")
    assert endless.startswith("stopped after 10 s during hidden trial 1, although the 2 trial(s) before it finished "
                              "in time: look for a loop that never ends"), endless
    at_load = _timeout_text(_run(), limits, trials, 0, " while loading the file")
    assert at_load.startswith("stopped after 10 s while loading the file: look for a loop that never ends")
    forged = _timeout_text(_run(math.nan, -5.0), limits, trials, 2, "")  # the child's numbers choose no verdict
    assert "look for a loop that never ends" in forged and "nan" not in forged


def test_a_slow_answer_is_told_slow_not_endless(tmp_path):
    code = "import time\n\n\ndef q_backward(a, b):\n    time.sleep(0.7)\n    Q = 3 * a**3 - b**2\n" \
           "    Q.backward(torch.ones_like(Q))\n    return Q\n\nimport torch\n"
    grade = grade_code(tmp_path, code, timeout_s=2.0)
    assert grade.error is not None and grade.error.kind == "timeout", grade.error
    assert "your code is too slow rather than stuck" in grade.error.message, grade.error.message
    # 4 trials here (2 hidden seeds), 5 at hand-in (the course's hidden_trials: 3); cut short, so no projection
    assert grade.handin_trials == 5 and "of the 2 s limit for 4 trials (each took 0.7" in render(grade)
    assert "at hand-in the same 2 s covers 5 trials\n" in render(grade)
