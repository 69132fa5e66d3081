"""grader.exports: every platform format parsed back the way its reader parses it, and `grade run --format ...`."""

from __future__ import annotations

import base64
import csv
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import HIDDEN_SEEDS, grade_code

from grader.cli import main
from grader.errors import UsageError
from grader.export import results_from_dict
from grader.exports import (
    CLASS_KINDS,
    CanvasAssignment,
    annotations,
    canvas_csv,
    class_csv,
    class_json,
    class_junit,
    classroom_log,
    classroom_payload,
    classroom_result,
    encode,
    error_payload,
    gradescope_results,
    render,
    step_summary,
    submission_junit,
)
from grader.exports.visible import check_message, error_message, is_hidden, unseeded
from grader.inputs import Trial, build_inputs
from grader.result import CheckResult, Grade, GradeError, StudentResult

REPO = Path(__file__).resolve().parent.parent
CONFIG = REPO / "config.yaml"
SOLUTION = REPO / "solutions" / "ex03.py"
SIGN = REPO / "solutions" / "wrong" / "ex03_sign.py"
FAST = ["--hidden", "1", "--timeout", "5", "--config", str(CONFIG)]

HIDDEN = Trial(index=2, seed=4242, hidden=True).label
PUBLIC = Trial(index=0, seed=0, hidden=False).label
SECRET = "[0.4711, -1.0815]"  # stands for values computed from a hidden trial's inputs


def _check(name: str, points: float, *, passed: bool = True, **failure) -> CheckResult:
    return CheckResult(name=name, kind="grad", passed=passed, score=points if passed else 0.0, max_score=points,
                       **failure)


def _grade(exercise: str = "ex03", checks: tuple = (), *, error: GradeError | None = None,
           submission: str = "/course/ann/ex03.py", **extra) -> Grade:
    checks = checks or (_check("Q", 4.0), _check("a.grad", 3.0), _check("b.grad", 3.0))
    return Grade(exercise=exercise, title=f"{exercise} title", version=1, submission=submission, checks=checks,
                 error=error, public_seeds=(0, 1), hidden_seeds=(4242,), seconds=0.25, **extra)


def _sign_on_public() -> Grade:
    return _grade(checks=(_check("Q", 4.0, passed=False, diagnosis="sign", trial=PUBLIC,
                                 message="Q: got [-3.], expected [3.]"),
                          _check("a.grad", 3.0), _check("b.grad", 3.0)))


def _wrong_on_hidden() -> Grade:
    return _grade(checks=(_check("Q", 4.0), _check("a.grad", 3.0),
                          _check("b.grad", 3.0, passed=False, diagnosis="sign", trial=HIDDEN, mistake="plus-b",
                                 message=f"b.grad: got {SECRET}, expected [-0.4711, 1.0815]\n"
                                         "This matches Q = 3a³ + b²: the b term is subtracted.")))


def _raised(line: int = 5) -> Grade:
    error = GradeError("exception", "NameError: name 'nothing' is not defined (in q_backward(), line 5: "
                                    "return a / nothing)", line, "return a / nothing")
    fail = {"passed": False, "diagnosis": "exception", "message": error.message, "trial": PUBLIC}
    return _grade(checks=(_check("Q", 4.0, **fail), _check("a.grad", 3.0, **fail), _check("b.grad", 3.0, **fail)),
                  error=error)


def _absent(exercise: str) -> Grade:
    error = GradeError("no_submission", "no file ex04.py or notebook answers ex04")
    fail = {"passed": False, "diagnosis": "no_submission", "message": f"not graded: {error.message}"}
    return _grade(exercise, (_check("v.grad", 5.0, **fail),), error=error)


def _class() -> list[StudentResult]:
    return [StudentResult("ann", (_grade(), _grade("ex04", (_check("v.grad", 5.0),)))),
            StudentResult("bob", (_sign_on_public(), _absent("ex04"))),
            StudentResult("cy", (_wrong_on_hidden(),))]


# ------------------------------------------------------------------------------------------ what students see


def test_hidden_labels_are_recognised_as_inputs_makes_them():
    assert is_hidden(HIDDEN) and not is_hidden(PUBLIC) and not is_hidden(None)
    assert unseeded(f"stopped during {HIDDEN}; {PUBLIC}") == "stopped during hidden trial 3; " + PUBLIC


def test_a_hidden_trial_failure_shows_the_diagnosis_and_the_authors_explanation_only():
    check = _wrong_on_hidden().checks[2]
    text = check_message(check)
    assert SECRET not in text and "4242" not in text
    assert "hidden trial 3" in text and "opposite sign" in text and "This matches Q = 3a³ + b²" in text
    public = check_message(_sign_on_public().checks[0])
    assert public == f"Q: got [-3.], expected [3.]\n(on {PUBLIC})"


def test_an_exception_raised_only_on_a_hidden_trial_keeps_its_type_and_line_not_its_text():
    message = f"ValueError: bad values {SECRET} (in q_backward(), line 7: raise ValueError(a))"
    fail = {"passed": False, "diagnosis": "exception", "message": message, "trial": HIDDEN}
    grade = _grade(checks=(_check("Q", 4.0, **fail),), error=GradeError("exception", message, 7, "raise"))
    shown = error_message(grade)
    assert shown.startswith("ValueError at line 7 on hidden trial 3") and SECRET not in shown
    assert error_message(_raised()) == _raised().error.message and error_message(_grade()) is None


# ------------------------------------------------------------------------------------------------ class tables


def test_class_csv_has_a_points_possible_row_zero_for_no_submission_blank_for_never_graded():
    rows = list(csv.reader(io.StringIO(class_csv(_class()))))
    assert rows == [["student", "ex03", "ex04", "total"], ["(points possible)", "10", "5", "15"],
                    ["ann", "10", "5", "15"], ["bob", "6", "0", "6"], ["cy", "7", "", "7"]]


def test_class_json_holds_every_check_and_reads_back_to_the_same_results():
    data = json.loads(class_json(_class()))
    assert data["schema"] == 1 and data["max_score"] == 15.0
    assert [e["exercise"] for e in data["exercises"]] == ["ex03", "ex04"]
    bob = data["students"][1]
    assert (bob["student"], bob["score"], bob["max_score"]) == ("bob", 6.0, 15.0)
    q = bob["grades"][0]["checks"][0]
    assert (q["name"], q["score"], q["diagnosis"], q["message"]) == ("Q", 0.0, "sign", "Q: got [-3.], expected [3.]")
    assert results_from_dict(data) == _class()
    with pytest.raises(ValueError, match="schema 2"):
        results_from_dict({**data, "schema": 2})


def _canvas(text: str) -> list[list[str]]:
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[0]
    assert len(header) >= 4 and "Student" in header[0] and "ID" in header[1]
    info = header[:header.index("Section") + 1]
    assert info in (["Student", "ID", "Section"], ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"])
    assert "Points Possible" in rows[1][0] and all(cell == "" for cell in rows[1][1:len(info)])
    assert all(len(row) == len(header) for row in rows)
    return rows


def test_canvas_csv_follows_the_importers_header_rules_and_matches_on_the_sis_login_id():
    rows = _canvas(canvas_csv(_class()))
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "ex03 ex03 title",
                       "ex04 ex04 title"]
    assert rows[1][5:] == ["10", "5"]
    assert rows[2:] == [["ann", "", "", "ann", "", "10", "5"], ["bob", "", "", "bob", "", "6", "0"],
                        ["cy", "", "", "cy", "", "7", ""]]


def test_canvas_columns_can_carry_a_canvas_id_and_sum_several_exercises():
    homework = CanvasAssignment("HW3 Autograd", ("ex03", "ex04"), canvas_id=4711)
    rows = _canvas(render("canvas", _class(), assignments=[homework], match_on="sis_user_id", section="CS101-A"))
    assert rows[0][5:] == ["HW3 Autograd (4711)"] and rows[1][5] == "15"
    assert rows[3] == ["bob", "", "bob", "", "CS101-A", "6"]
    assert rows[4][5] == "7"  # cy has no ex04 grade at all: the sum of what was graded


@pytest.mark.parametrize("options, words", [
    ({"assignments": [CanvasAssignment("HW3", ("ex09",))]}, "ex09"),
    ({"assignments": [CanvasAssignment("Week (12)", ("ex03",))]}, "ends like an assignment id"),
    ({"assignments": []}, "no assignment columns"),
    ({"match_on": "email"}, "match_on"),
])
def test_canvas_refuses_what_the_importer_would_misread(options, words):
    with pytest.raises(UsageError, match=words.replace("(", r"\(")):
        canvas_csv(_class(), **options)


def test_render_dispatches_every_class_kind_and_names_the_kinds_when_unknown():
    assert CLASS_KINDS == ("csv", "json", "canvas", "junit")
    assert render("csv", _class()) == class_csv(_class())
    assert render("json", _class()) == class_json(_class())
    assert render("junit", _class(), timestamp="2025-02-01T12:00:00") == class_junit(_class(),
                                                                                    timestamp="2025-02-01T12:00:00")
    with pytest.raises(UsageError, match="csv, json, canvas, junit"):
        render("moodle", _class())


# -------------------------------------------------------------------------------------------------- gradescope

TEST_KEYS = {"number", "name", "score", "max_score", "status", "output", "visibility", "tags"}


def test_gradescope_results_has_a_scored_visible_test_per_check():
    results = gradescope_results([_sign_on_public(), _grade("ex04", (_check("v.grad", 5.0),))])
    json.dumps(results, allow_nan=False)
    assert results["score"] == 11.0 and results["execution_time"] == 0.5 and results["visibility"] == "visible"
    assert (results["output_format"], results["test_output_format"]) == ("text", "text")
    tests = results["tests"]
    assert all(set(t) == TEST_KEYS for t in tests)
    assert [t["number"] for t in tests] == ["1.1", "1.2", "1.3", "2.1"]
    assert [(t["name"], t["status"], t["score"], t["max_score"]) for t in tests] == [
        ("ex03: Q", "failed", 0.0, 4.0), ("ex03: a.grad", "passed", 3.0, 3.0), ("ex03: b.grad", "passed", 3.0, 3.0),
        ("ex04: v.grad", "passed", 5.0, 5.0)]
    assert tests[0]["output"].startswith("Q: got [-3.], expected [3.]") and tests[0]["tags"] == ["ex03", "grad", "sign"]
    assert sum(t["score"] for t in tests) == results["score"]
    assert results["output"] == "ex03 ex03 title: 6/10\nex04 ex04 title: 5/5\ntotal: 11/15"


def test_gradescope_never_shows_a_hidden_trials_values_before_publication():
    results = gradescope_results([_wrong_on_hidden()], execution_time_s=2.0)
    visible = [t for t in results["tests"] if t["visibility"] == "visible"]
    assert len(visible) == 3 and SECRET not in json.dumps(visible) and "4242" not in json.dumps(visible)
    detail = results["tests"][3]
    assert detail == {"name": "ex03: b.grad (hidden trial details)", "number": "1.3.1", "status": "failed",
                      "output": f"{_wrong_on_hidden().checks[2].message}\n(on {HIDDEN})",
                      "visibility": "after_published"}
    assert SECRET not in results["output"] and results["execution_time"] == 2.0
    assert all(t["visibility"] != "hidden" for t in results["tests"])  # a hidden test would hide the total
    assert len(gradescope_results([_wrong_on_hidden()], hidden_details=None)["tests"]) == 3
    with pytest.raises(ValueError, match="hidden_details"):
        gradescope_results([_wrong_on_hidden()], hidden_details="visible")


# ------------------------------------------------------------------------------------------------------- JUnit


def test_submission_junit_has_a_suite_per_exercise_and_points_as_properties():
    root = ET.fromstring(submission_junit([_sign_on_public(), _raised()], timestamp="2025-02-01T12:00:00"))
    assert root.tag == "testsuites" and root.get("name") == "grade"
    assert (root.get("tests"), root.get("failures"), root.get("errors"), root.get("skipped")) == ("6", "1", "3", "0")
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["ex03", "ex03"]
    first = suites[0]
    assert {k: first.get(k) for k in ("tests", "failures", "errors", "time", "timestamp", "hostname")} == {
        "tests": "3", "failures": "1", "errors": "0", "time": "0.250", "timestamp": "2025-02-01T12:00:00",
        "hostname": "localhost"}
    assert {p.get("name"): p.get("value") for p in first.find("properties")} == {"score": "6", "max_score": "10"}
    q = first.find("testcase")
    assert (q.get("classname"), q.get("name"), q.get("file"), q.get("line")) == ("ex03", "Q", "/course/ann/ex03.py",
                                                                                None)
    failure = q.find("failure")
    assert failure.get("type") == "sign" and failure.get("message") == "sign: Q: got [-3.], expected [3.]"
    assert failure.text == f"Q: got [-3.], expected [3.]\n(on {PUBLIC})"
    assert {p.get("name"): p.get("value") for p in q.find("properties")} == {"score": "0", "max_score": "4"}
    raised = suites[1].findall("testcase")
    assert all(c.find("error") is not None and c.find("failure") is None for c in raised)
    assert raised[0].get("line") == "5" and raised[0].find("error").get("type") == "exception"


def test_junit_stays_valid_xml_whatever_the_messages_hold():
    nasty = "bell\x07 escape\x1b[31m nul\x00 ]]> <tag> & \"quote\" \ud800 end"
    grade = _grade(checks=(_check("x<y]]>", 1.0, passed=False, diagnosis="value", message=nasty),))
    text = submission_junit([grade])
    root = ET.fromstring(text.encode("utf-8"))
    case = root.find("testsuite/testcase")
    assert case.get("name") == "x<y]]>"
    body = case.find("failure").text
    assert "\\x07" in body and "\\x1b[31m" in body and "\\x00" in body and "]]> <tag> & \"quote\"" in body
    assert "\ufffd end" in body and submission_junit([grade]) == text  # deterministic


def test_class_junit_has_a_suite_per_student():
    root = ET.fromstring(class_junit(_class()))
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["ann", "bob", "cy"]
    assert [s.get("timestamp") for s in suites] == [None, None, None]
    bob = suites[1]
    assert [c.get("classname") for c in bob.findall("testcase")] == ["bob.ex03"] * 3 + ["bob.ex04"]
    assert (bob.get("tests"), bob.get("failures"), bob.get("errors")) == ("4", "1", "1")
    assert bob.find("testcase[@classname='bob.ex04']/error").get("type") == "no_submission"
    assert root.get("tests") == "11"


# --------------------------------------------------------------------------------------------- GitHub Classroom


def _decode(result: str) -> dict:
    """Decode a runner result as the reporter does: base64, then JSON; check every field it reads."""
    assert "\n" not in result and result.isascii()
    payload = json.loads(base64.b64decode(result, validate=True).decode("utf-8"))
    assert payload["version"] == 1 and payload["status"] in ("pass", "fail", "error")
    assert isinstance(payload["max_score"], (int, float)) and isinstance(payload["tests"], list) and payload["tests"]
    for test in payload["tests"]:
        assert {"name", "status", "score", "message", "line_no", "test_code", "filename"} <= set(test)
        assert isinstance(test["name"], str) and test["status"] in ("pass", "fail", "error")
        assert isinstance(test["score"], (int, float)) and type(test["line_no"]) is int and test["line_no"] == 0
        assert isinstance(test["message"], str) and isinstance(test["test_code"], str)
    return payload


def test_classroom_result_decodes_to_the_runner_schema_with_weighted_scores():
    payload = _decode(classroom_result([_sign_on_public()], root=Path("/course")))
    assert payload == classroom_payload([_sign_on_public()], root=Path("/course"))
    assert payload["status"] == "fail" and payload["max_score"] == 10.0
    assert [(t["name"], t["status"], t["score"]) for t in payload["tests"]] == [
        *[(f"ex03: Q (point {i} of 4)", "fail", 0) for i in range(1, 5)],
        *[(f"ex03: a.grad (point {i} of 3)", "pass", 1.0) for i in range(1, 4)],
        *[(f"ex03: b.grad (point {i} of 3)", "pass", 1.0) for i in range(1, 4)]]
    assert payload["tests"][0]["filename"] == "ann/ex03.py"
    assert payload["tests"][0]["test_code"] == "grade ex03 ann/ex03.py"
    assert _decode(classroom_result([_grade()]))["status"] == "pass"


def test_classroom_marks_code_that_did_not_run_as_error_and_hides_hidden_values():
    assert {t["status"] for t in _decode(classroom_result([_raised()]))["tests"]} == {"error"}
    assert _decode(classroom_result([_raised()]))["status"] == "error"
    assert _decode(classroom_result([_raised(), _sign_on_public()]))["status"] == "fail"
    hidden = _decode(classroom_result([_wrong_on_hidden()]))
    assert SECRET not in json.dumps(hidden) and "4242" not in json.dumps(hidden)
    log = classroom_log([_wrong_on_hidden()])
    assert SECRET not in log and "FAIL  b.grad  0/3  [sign]" in log


def test_classroom_error_payload_keeps_max_score_and_a_test():
    payload = _decode(encode(error_payload("config.yaml:3: unknown key", test_code="grade ex03")))
    assert payload["status"] == "error" and payload["max_score"] == 0 and payload["tests"][0]["status"] == "error"
    assert payload["tests"][0]["message"] == "config.yaml:3: unknown key"


def test_a_students_exception_text_cannot_issue_workflow_commands_in_the_log():
    message = "ValueError: x\n::error::you got full marks"
    fail = {"passed": False, "diagnosis": "value", "message": message, "trial": PUBLIC}
    log = classroom_log([_grade(checks=(_check("Q", 4.0, **fail),))])
    assert not any(line.lstrip().startswith("::") for line in log.splitlines())


def test_annotations_point_at_the_line_and_escape_per_the_toolkit():
    lines = annotations([_raised(), _sign_on_public()], root=Path("/course"))
    assert lines == [("::error file=ann/ex03.py,line=5,title=ex03%3A exception::NameError: name 'nothing' is not "
                      "defined (in q_backward(), line 5: return a / nothing)")]
    error = GradeError("syntax", "line 2: 100% wrong,\nreally", 2, "x =")
    odd = _grade(submission="/else/we,ird:name.py", error=error)
    assert annotations([odd], root=Path("/course")) == [
        "::error file=/else/we%2Cird%3Aname.py,line=2,title=ex03%3A syntax::line 2: 100%25 wrong,%0Areally"]
    notebook = _grade(submission="/course/hw.ipynb", error=error)
    assert annotations([notebook], root=Path("/course"))[0].startswith("::error file=hw.ipynb,title=")
    assert len(annotations([_raised()] * 12)) == 10 and annotations([_sign_on_public()]) == []


def test_step_summary_is_a_table_row_per_check_and_a_fenced_detail_per_failure():
    message = "Q | P: got ```[1.]```"
    grade = _grade(checks=(_check("Q|P", 4.0, passed=False, diagnosis="value", message=message),
                           _check("a.grad", 3.0)))
    text = step_summary([grade, _wrong_on_hidden()])
    lines = text.splitlines()
    assert lines[0] == "## Autograde: ex03, ex03 — 10 / 17"
    assert lines[2:4] == ["| Exercise | Check | Result | Points |", "| --- | --- | :---: | ---: |"]
    rows = [line for line in lines if line.startswith("| ex03")]
    assert rows[0] == "| ex03 | Q\\|P | ❌ | 0 / 4 |" and len(rows) == 5
    assert "````text\n" + message + "\n````" in text and "<details><summary>ex03 Q|P</summary>" in text
    assert SECRET not in text and text.count("<details>") == 2


# --------------------------------------------------------------------------------- a real submission, graded


def test_a_real_hidden_trial_failure_reaches_no_platform_with_its_values(tmp_path, ex03):
    firsts = [round(float(build_inputs(ex03, seed)["a"][0].detach()), 6) for seed in ex03.public_seeds]
    grade = grade_code(tmp_path, f"""
        import torch

        def q_backward(a, b):
            sign = 1 if round(float(a[0]), 6) in {firsts!r} else -1  # right on the public trials only
            Q = 3 * a**3 - sign * b**2
            Q.backward(torch.ones_like(Q))
            return Q
        """)
    failed = {c.name: c for c in grade.checks if not c.passed}
    assert set(failed) == {"Q", "b.grad"} and all(is_hidden(c.trial) for c in failed.values()), grade
    hidden_b = build_inputs(ex03, HIDDEN_SEEDS[0])["b"].detach()
    got = f"{float(-2 * hidden_b[0]):.6g}".lstrip("-")  # dQ/db's first element on the hidden trial, as quoted
    assert got in failed["b.grad"].message and str(HIDDEN_SEEDS[0]) in failed["b.grad"].trial
    visible = [t for t in gradescope_results([grade])["tests"] if t["visibility"] == "visible"]
    for text in (json.dumps(visible, ensure_ascii=False), step_summary([grade]), classroom_log([grade]),
                 json.dumps(_decode(classroom_result([grade])), ensure_ascii=False)):
        assert str(HIDDEN_SEEDS[0]) not in text and got not in text
        assert "This matches Q = 3a³ + b²" in text  # the author's explanation still reaches the student
    assert gradescope_results([grade])["score"] == grade.score


# ----------------------------------------------------------------------------------- grade run --format ...


def _github(tmp_path: Path) -> dict[str, str]:
    return {"GITHUB_OUTPUT": str(tmp_path / "output"), "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md")}


@pytest.mark.parametrize("submission, status, score", [(SOLUTION, "pass", 10.0), (SIGN, "fail", 3.0)])
def test_run_classroom_publishes_the_result_and_exits_0_whenever_grading_worked(tmp_path, submission, status, score):
    env = _github(tmp_path)
    (tmp_path / "output").write_text("earlier=1\n")
    result = CliRunner().invoke(main, ["ex03", str(submission), *FAST, "--format", "classroom"], env=env)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    payload = _decode(lines[-1])
    assert all(line.startswith("::error ") for line in lines[:-1])
    assert (payload["status"], sum(t["score"] for t in payload["tests"]), payload["max_score"]) == (status, score, 10.0)
    assert (tmp_path / "output").read_text() == f"earlier=1\nresult={lines[-1]}\n"
    summary = (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert summary.startswith(f"## Autograde: ex03 Gradients of Q = 3a³ − b² — {score:g} / 10\n")
    assert f"ex03: Gradients of Q = 3a³ − b² -- {score:g}/10" in result.stderr


def test_run_classroom_without_github_files_only_prints(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["ex03", str(SIGN), *FAST, "--format", "classroom"],
                                env={"GITHUB_OUTPUT": None, "GITHUB_STEP_SUMMARY": None})
    assert result.exit_code == 0 and _decode(result.stdout.splitlines()[-1])["status"] == "fail"
    assert list(tmp_path.iterdir()) == []


def test_run_classroom_annotates_the_line_that_raised(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ex03.py").write_text("import torch\n\n\ndef q_backward(a, b):\n    return a / nothing\n")
    result = CliRunner().invoke(main, ["ex03", "ex03.py", *FAST, "--format", "classroom"], env=_github(tmp_path))
    assert result.exit_code == 0
    first = result.stdout.splitlines()[0]
    assert first.startswith("::error file=ex03.py,line=5,title=ex03%3A exception::NameError: name 'nothing'")
    assert _decode(result.stdout.splitlines()[-1])["status"] == "error"


def test_run_classroom_on_a_grader_error_publishes_an_error_result_and_exits_2(tmp_path):
    result = CliRunner().invoke(main, ["ex99", str(SOLUTION), *FAST, "--format", "classroom"], env=_github(tmp_path))
    assert result.exit_code == 2 and "error:" in result.stderr
    published = (tmp_path / "output").read_text().strip().removeprefix("result=")
    payload = _decode(published)
    assert payload["status"] == "error" and payload["max_score"] == 0 and "ex99" in payload["message"]


@pytest.mark.parametrize("submission, code", [(SOLUTION, 0), (SIGN, 0)])
def test_run_gradescope_prints_results_json(submission, code):
    result = CliRunner().invoke(main, ["ex03", str(submission), *FAST, "--format", "gradescope"])
    assert result.exit_code == code, result.output
    results = json.loads(result.stdout)
    assert results["score"] == (10.0 if submission == SOLUTION else 3.0)
    assert [t["name"] for t in results["tests"]] == ["ex03: Q", "ex03: a.grad", "ex03: b.grad"]


@pytest.mark.parametrize("submission, code, failures", [(SOLUTION, 0, "0"), (SIGN, 1, "2")])
def test_run_junit_prints_xml_and_exits_like_text(submission, code, failures):
    result = CliRunner().invoke(main, ["ex03", str(submission), *FAST, "--format", "junit"])
    assert result.exit_code == code
    root = ET.fromstring(result.stdout.encode("utf-8"))
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("3", failures, "0")
    assert root.find("testsuite").get("timestamp")


@pytest.mark.parametrize("output_format", ["classroom", "gradescope", "junit"])
def test_grade_all_speaks_every_platform_format(tmp_path, output_format):
    result = CliRunner().invoke(main, ["all", str(SIGN), *FAST, "--format", output_format], env=_github(tmp_path))
    assert result.exit_code == (1 if output_format == "junit" else 0), result.output
    if output_format == "classroom":
        names = [t["name"] for t in _decode(result.stdout.splitlines()[-1])["tests"]]
    elif output_format == "gradescope":
        names = [t["name"] for t in json.loads(result.stdout)["tests"]]
    else:
        names = [f"{c.get('classname')}: {c.get('name')}" for c in ET.fromstring(result.stdout).iter("testcase")]
    assert list(dict.fromkeys(name.split(" (point")[0] for name in names)) == ["ex03: Q", "ex03: a.grad", "ex03: b.grad"]


def _reporter_table_score(payload: dict) -> float:
    """The reporter's log table (FORMATS.md 1.2.3, getTestScore): tests passed / tests x max_score."""
    tests = payload["tests"]
    return sum(t["status"] == "pass" for t in tests) / len(tests) * payload["max_score"]


def _classroom_points(payload: dict) -> float:
    """What the reporter sends Classroom (NotifyClassroom): the sum of tests[].score."""
    return sum(t["score"] for t in payload["tests"])


@pytest.mark.parametrize("points, passed", [
    ((4.0, 3.0, 3.0), (False, True, True)),
    ((2.5, 0.5, 1.0, 0.0), (True, False, True, False)),
    ((1 / 3, 2 / 3, 1.0), (True, False, False)),
    ((7.0,), (False,)),
])
def test_the_reporters_log_table_and_the_classroom_grade_agree(points, passed):
    checks = tuple(_check(f"c{i}", p, passed=True) if ok else
                   _check(f"c{i}", p, passed=False, diagnosis="value", message="wrong", trial=PUBLIC)
                   for i, (p, ok) in enumerate(zip(points, passed)))
    grade = _grade(checks=checks)
    payload = classroom_payload([grade])
    assert _classroom_points(payload) == pytest.approx(grade.score, abs=1e-6)  # scores are kept to 6 decimals
    assert _reporter_table_score(payload) == pytest.approx(_classroom_points(payload))
    assert payload["max_score"] == pytest.approx(sum(points))


def test_points_no_unit_can_split_fall_back_to_one_test_per_check():
    checks = (_check("a", 1.0), _check("b", 1000.0, passed=False, diagnosis="value", message="x", trial=PUBLIC))
    payload = classroom_payload([_grade(checks=checks)])
    assert [t["name"] for t in payload["tests"]] == ["ex03: a", "ex03: b"]


def test_run_classroom_that_cannot_write_github_output_says_so_and_exits_2(tmp_path):
    env = {"GITHUB_OUTPUT": str(tmp_path / "missing" / "output"), "GITHUB_STEP_SUMMARY": None}
    result = CliRunner().invoke(main, ["ex03", str(SOLUTION), *FAST, "--format", "classroom"], env=env)
    assert result.exit_code == 2 and "cannot append to $GITHUB_OUTPUT" in result.stderr
    assert _decode(result.stdout.splitlines()[-1])["status"] == "pass"  # still printed: the log keeps the result
