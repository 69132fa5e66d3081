"""Issue #14, the author's own feedback: check hints, hidden checks, exception mistakes, validation of the references."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
import yaml
from conftest import SPAWNER

from grader.compare import judge
from grader.config import load_settings
from grader.errors import ExerciseError
from grader.export import grade_to_dict, results_to_dict
from grader.exercise import load_exercise, parse_exercise
from grader.exports import classroom_log, classroom_payload, gradescope_results, step_summary, submission_junit
from grader.exports.junit import class_junit
from grader.feedback import misdeclared
from grader.grade import expectations, grade_submission
from grader.inputs import make_trials
from grader.oracle import build_oracle, expect
from grader.platforms.bundle import write_bundle
from grader.platforms.install import torch_pin
from grader.platforms.stored import load_stored
from grader.report import render
from grader.result import HIDDEN_NOTE, StudentResult
from grader.source import read_submission

HINT = "Differentiate x**3 by hand first: d/dx x^3 = 3x^2, no constant term."

EXERCISE = """\
schema: 2
id: ex90
title: Second derivative
points: 7
prompt: Return the first and second derivatives of sum(x**3).
contract:
  function: second_derivative
  signature: "second_derivative(x: torch.Tensor) -> tuple"
  returns: [d1, d2]
inputs:
  x: {tensor: [3], requires_grad: true}
trials:
  public: [0, 1]
probes:
  total: |
    def probe(d2):
        return d2.sum()
reference: |
  def second_derivative(x):
      y = (x ** 3).sum()
      (d1,) = torch.autograd.grad(y, x, create_graph=True)
      (d2,) = torch.autograd.grad(d1.sum(), x)
      return d1, d2
checks:
  - {name: d1, kind: value, target: d1, points: 2, hint: "HINT"}
  - {name: d2, kind: value, target: d2, points: 2}
  - {name: x.grad, kind: grad, target: x, expect: none, points: 1}
  - {name: total, kind: value, target: total, points: 2, hidden: true}
mistakes:
  - id: forgot-create-graph
    diagnosis: exception
    raises: RuntimeError
    match: "does not require grad"
    message: >-
      Your first torch.autograd.grad call needs create_graph=True: you differentiate its result again.
    code: |
      def second_derivative(x):
          y = (x ** 3).sum()
          (d1,) = torch.autograd.grad(y, x)
          (d2,) = torch.autograd.grad(d1.sum(), x)
          return d1, d2
  - id: doubled
    diagnosis: scaled
    message: This matches twice the derivatives.
    code: |
      def second_derivative(x):
          return 6 * x.detach() ** 2, 12 * x.detach()
""".replace("HINT", HINT)

SOLUTION = """\
import torch

def second_derivative(x):
    y = (x ** 3).sum()
    (d1,) = torch.autograd.grad(y, x, create_graph=True)
    (d2,) = torch.autograd.grad(d1.sum(), x)
    return d1, d2
"""


def _course(tmp_path: Path, text: str = EXERCISE) -> Path:
    course = tmp_path / "course"
    (course / "exercises").mkdir(parents=True, exist_ok=True)
    (course / "exercises" / "ex90_second.yaml").write_text(text, encoding="utf-8")
    (course / "config.yaml").write_text("schema: 1\nexercises_dir: exercises\nhidden_trials: 0\n", encoding="utf-8")
    return course


def _grade(tmp_path: Path, code: str, text: str = EXERCISE, *, course: Path | None = None):
    course = course or _course(tmp_path, text)
    settings = load_settings(course / "config.yaml").with_overrides(timeout_s=5.0)
    exercise = load_exercise(settings.exercises_dir, "ex90")
    path = tmp_path / "answer.py"
    path.write_text(textwrap.dedent(code), encoding="utf-8")
    return grade_submission(exercise, read_submission(path), settings, spawner=SPAWNER, seeds=())


def _by_name(grade) -> dict:
    return {c.name: c for c in grade.checks}


def _line_of(text: str, needle: str) -> int:
    return text[:text.index(needle)].count("\n") + 1


# -- hint ---------------------------------------------------------------------------------------------------------

def test_the_solution_scores_full_marks(tmp_path):
    grade = _grade(tmp_path, SOLUTION)
    assert grade.status == "passed" and grade.score == 7, render(grade)


def test_a_hint_replaces_the_generic_advice_and_keeps_the_values(tmp_path):
    grade = _grade(tmp_path, SOLUTION.replace("return d1, d2", "return d1 + 0.5 * torch.arange(3.0), d2"))
    d1 = _by_name(grade)["d1"]
    assert not d1.passed and d1.diagnosis == "value" and d1.mistake is None
    first, rest = d1.message.split("\n", 1)
    assert first.startswith("d1: got [") and "expected [" in first
    assert rest == HINT


def test_a_specific_diagnosis_or_known_mistake_keeps_its_own_text(tmp_path):
    grade = _grade(tmp_path, SOLUTION.replace("return d1, d2", "return 3 * d1, d2"))
    d1 = _by_name(grade)["d1"]
    assert d1.diagnosis == "scaled" and HINT not in d1.message and "3x the expected" in d1.message
    grade = _grade(tmp_path, "def second_derivative(x):\n    return 6 * x.detach() ** 2, 12 * x.detach()\n")
    d1 = _by_name(grade)["d1"]
    assert d1.mistake == "doubled" and HINT not in d1.message and "This matches twice" in d1.message


# -- hidden -------------------------------------------------------------------------------------------------------

HIDDEN_WRONG = "import torch\n\ndef second_derivative(x):\n    y = (x ** 3).sum()\n" \
               "    (d1,) = torch.autograd.grad(y, x, create_graph=True)\n" \
               "    d2 = 6 * x.detach()\n    d2[0] = d2[0] + 100.0\n    return d1, d2\n"


def test_a_hidden_check_shows_students_only_its_name_status_and_points(tmp_path):
    grade = _grade(tmp_path, HIDDEN_WRONG)
    checks = _by_name(grade)
    total = checks["total"]
    assert not total.passed and total.hidden and total.score == 0 and total.max_score == 2
    assert "total: got" in total.message  # the grader knows what went wrong...
    secret = total.message.split("\n", 1)[0]
    report = render(grade)
    line = next(ln for ln in report.splitlines() if " total " in ln)
    assert "FAIL" in line and "0/2" in line and HIDDEN_NOTE in line and "[" not in line
    assert secret not in report and "total: got" not in report
    assert "d2: got" in report  # ...the visible check on the same values still explains itself

    payload = classroom_payload([grade])
    parts = [t for t in payload["tests"] if t["name"].startswith("ex90: total")]
    assert {t["status"] for t in parts} == {"fail"} and sum(t["max_score"] for t in parts) == 2
    assert HIDDEN_NOTE in parts[0]["message"]
    scope = {
        "classroom": json.dumps(payload),
        "classroom log": classroom_log([grade]),
        "step summary": step_summary([grade]),
        "gradescope tests": json.dumps(gradescope_results([grade])["tests"]),
        "junit": submission_junit([grade]),
    }
    for where, text in scope.items():
        assert "total: got" not in text, where
    results = gradescope_results([grade])
    shown = next(t for t in results["tests"] if t["name"] == "ex90: total")
    assert shown["visibility"] == "visible" and shown["tags"] == ["ex90", "value"]
    assert results["extra_data"]["hidden_checks"][0]["message"] == total.message  # stored, for the instructor

    # the instructor's exports keep the details
    assert grade_to_dict(grade)["checks"][3]["message"] == total.message
    assert grade_to_dict(grade)["checks"][3]["hidden"] is True
    assert "total: got" in json.dumps(results_to_dict([StudentResult("ann", (grade,))]))
    assert "total: got" in class_junit([StudentResult("ann", (grade,))])


def test_a_passed_hidden_check_is_marked_too(tmp_path):
    grade = _grade(tmp_path, SOLUTION)
    line = next(ln for ln in render(grade).splitlines() if " total " in ln)
    assert "PASS" in line and "2/2" in line and HIDDEN_NOTE in line


def test_the_bundle_ships_no_hidden_check_and_none_of_the_values_only_it_reads(tmp_path):
    course = _course(tmp_path)
    settings = load_settings(course / "config.yaml")
    out = tmp_path / "student"
    write_bundle(settings, out, torch=torch_pin("2.13.0", None))
    shipped_path = out / "exercises" / "ex90_second.yaml"
    shipped = yaml.safe_load(shipped_path.read_text(encoding="utf-8"))
    assert [c["name"] for c in shipped["checks"]] == ["d1", "d2", "x.grad"] and shipped["points"] == 5
    assert "probes" not in shipped or "total" not in shipped["probes"]
    assert "hidden check(s), 2 point(s)" in shipped_path.read_text(encoding="utf-8")
    stored = json.loads((out / "exercises" / "ex90_second.expected.json").read_text(encoding="utf-8"))
    assert all("total" not in t["reference"]["probes"] for t in stored["trials"])
    raises = next(m for m in shipped["mistakes"] if m["id"] == "forgot-create-graph")
    assert raises["raises"] == "RuntimeError" and raises["match"] == "does not require grad" and "code" not in raises
    # the bundle grades the exception mistake from its stored declaration alone
    exercise = parse_exercise(shipped_path)
    assert load_stored(exercise) is not None
    bundle_settings = load_settings(out / "config.yaml").with_overrides(timeout_s=5.0)
    answer = tmp_path / "answer.py"
    answer.write_text(SOLUTION.replace(", create_graph=True", ""), encoding="utf-8")
    grade = grade_submission(exercise, read_submission(answer), bundle_settings, spawner=SPAWNER, seeds=(),
                             oracle=load_stored(exercise))
    assert grade.error is not None and grade.error.mistake == "forgot-create-graph"
    assert all(c.mistake == "forgot-create-graph" for c in grade.checks)


# -- exception mistakes -------------------------------------------------------------------------------------------

def test_an_exception_mistake_names_itself_on_every_check_it_fails(tmp_path):
    grade = _grade(tmp_path, SOLUTION.replace(", create_graph=True", ""))
    assert grade.error is not None and grade.error.kind == "exception"
    assert grade.error.mistake == "forgot-create-graph"
    first, explanation = grade.error.message.split("\n", 1)
    assert first.startswith("RuntimeError: element 0 of tensors does not require grad")
    assert "line 6: (d2,) = torch.autograd.grad(d1.sum(), x)" in first
    assert explanation == "Your first torch.autograd.grad call needs create_graph=True: you differentiate its " \
                          "result again."
    for check in grade.checks:
        assert (check.diagnosis, check.mistake) == ("exception", "forgot-create-graph")
        assert "needs create_graph=True" in check.message
    assert "needs create_graph=True" in render(grade)


def test_an_exception_mistake_whose_regex_differs_does_not_match(tmp_path):
    text = EXERCISE.replace('match: "does not require grad"', 'match: "modified by an inplace operation"')
    grade = _grade(tmp_path, SOLUTION.replace(", create_graph=True", ""), text)
    assert grade.error is not None and grade.error.mistake is None
    assert "create_graph" not in grade.error.message
    assert all(c.mistake is None and c.diagnosis == "exception" for c in grade.checks)


def test_an_exception_mistake_matches_its_class_name_qualified_too(tmp_path):
    text = EXERCISE.replace("raises: RuntimeError", "raises: builtins.RuntimeError")
    grade = _grade(tmp_path, SOLUTION.replace(", create_graph=True", ""), text)
    assert grade.error.mistake == "forgot-create-graph"
    text = EXERCISE.replace("raises: RuntimeError", "raises: ValueError")
    grade = _grade(tmp_path, SOLUTION.replace(", create_graph=True", ""), text)
    assert grade.error.mistake is None


def test_an_exception_while_loading_is_matched_too(tmp_path):
    code = SOLUTION + "\nsecond_derivative(torch.ones(2, requires_grad=True).clone().detach())\n"
    grade = _grade(tmp_path, code)
    assert grade.error is not None and grade.error.mistake == "forgot-create-graph"
    assert "while loading the file" in grade.error.message
    assert all(c.mistake == "forgot-create-graph" and c.diagnosis == "exception" for c in grade.checks)


def _raised(tmp_path: Path, text: str):
    exercise = parse_exercise(_course(tmp_path, text) / "exercises" / "ex90_second.yaml")
    expected = expect(build_oracle(exercise), make_trials((0,), ())[0], max_elements=1000, timeout_s=5.0)
    return exercise, expected


def test_the_oracle_records_what_each_mistake_raised(tmp_path):
    exercise, expected = _raised(tmp_path, EXERCISE)
    assert expected.raised["forgot-create-graph"].startswith("RuntimeError: element 0 of tensors does not require")
    assert expected.raised["doubled"] is None
    assert expected.mistakes["forgot-create-graph"] is None  # matched by its exception only, never by values
    assert misdeclared(exercise, expected.raised, expected.trial.label) == []


def test_check_exercises_can_tell_a_mistake_that_does_not_raise_as_declared(tmp_path):
    text = EXERCISE.replace('match: "does not require grad"', 'match: "inplace"')
    text = text.replace("          return 6 * x.detach() ** 2, 12 * x.detach()\n",
                        "          return 6 * x.detach() ** 2, 12 * x.detach() @ torch.ones(2)\n")
    exercise, expected = _raised(tmp_path, text)
    problems = misdeclared(exercise, expected.raised, expected.trial.label)
    path = exercise.path
    raises_line = _line_of(text, "      def second_derivative(x):\n          y = (x ** 3).sum()\n          (d1,) = "
                                 "torch.autograd.grad(y, x)\n")
    assert problems[0].startswith(f"{path}:{raises_line}: the known mistake 'forgot-create-graph' declares raises: "
                                  f"RuntimeError matching 'inplace', but its code raised RuntimeError: element 0")
    assert problems[1].startswith(f"{path}:") and "'doubled' raised RuntimeError" in problems[1]
    assert "can never match" in problems[1] and "raises: RuntimeError" in problems[1]


def test_an_exception_mistake_whose_code_returns_is_reported(tmp_path):
    text = EXERCISE.replace("(d1,) = torch.autograd.grad(y, x)\n          (d2,)",
                            "(d1,) = torch.autograd.grad(y, x, create_graph=True)\n          (d2,)")
    exercise, expected = _raised(tmp_path, text)
    problems = misdeclared(exercise, expected.raised, expected.trial.label)
    assert len(problems) == 1 and "its code returned normally on public trial 1 (seed 0)" in problems[0]


# -- validation -----------------------------------------------------------------------------------------------------

def test_a_probe_parameter_that_names_nothing_is_refused_at_load(tmp_path):
    text = EXERCISE.replace("def probe(d2):", "def probe(d3):")
    with pytest.raises(ExerciseError) as caught:
        parse_exercise(_course(tmp_path, text) / "exercises" / "ex90_second.yaml")
    assert caught.value.message.startswith(f"{tmp_path / 'course/exercises/ex90_second.yaml'}:"
                                           f"{_line_of(text, 'def probe(d3)')}: probes.total: the parameter 'd3'")
    assert "(did you mean 'd1'?)" in caught.value.message or "(did you mean 'd2'?)" in caught.value.message


def _validation_error(tmp_path: Path, text: str) -> str:
    exercise = parse_exercise(_course(tmp_path, text) / "exercises" / "ex90_second.yaml")
    settings = load_settings(tmp_path / "course" / "config.yaml")
    with pytest.raises(ExerciseError) as caught:
        expectations(build_oracle(exercise), make_trials(exercise.public_seeds, ()), settings)
    return caught.value.message


def test_a_path_that_names_nothing_in_the_reference_is_refused_with_the_closest(tmp_path):
    text = EXERCISE.replace("{name: x.grad, kind: grad, target: x, expect: none, points: 1}",
                            "{name: x.grad, kind: value, target: x.gard, points: 1}")
    message = _validation_error(tmp_path, text)
    path = tmp_path / "course/exercises/ex90_second.yaml"
    assert message == (f"{path}:{_line_of(text, '{name: x.grad')}: check 'x.grad': 'x.gard' names nothing in the "
                       f"reference's values on public trial 1 (seed 0) (did you mean x.grad?)")


def test_a_reference_returning_another_count_than_declared_is_the_exercises_error(tmp_path):
    text = EXERCISE.replace("      return d1, d2\nchecks:", "      return d1, d2, y\nchecks:")
    message = _validation_error(tmp_path, text)
    path = tmp_path / "course/exercises/ex90_second.yaml"
    assert message.startswith(f"{path}:{_line_of(text, '      return d1, d2, y')}: the reference does not return "
                              f"what contract.returns declares on public trial 1 (seed 0): second_derivative "
                              f"returned a tuple of 3; expected a tuple of 2: (d1, d2)")


def test_a_vacuous_grad_check_is_refused_unless_it_expects_none(tmp_path):
    text = EXERCISE.replace("{name: x.grad, kind: grad, target: x, expect: none, points: 1}",
                            "{name: x.grad, kind: grad, target: x, points: 1}")
    message = _validation_error(tmp_path, text)
    path = tmp_path / "course/exercises/ex90_second.yaml"
    assert message.startswith(f"{path}:{_line_of(text, '{name: x.grad')}: check 'x.grad' passes for everyone who "
                              f"leaves x.grad None: the reference's x.grad is None on every public trial")
    assert "expect: none" in message


def test_expect_none_where_the_reference_has_a_value_is_refused(tmp_path):
    text = EXERCISE.replace("{name: d2, kind: value, target: d2, points: 2}",
                            "{name: d2, kind: value, target: d2, expect: none, points: 2}")
    message = _validation_error(tmp_path, text)
    assert f":{_line_of(text, '{name: d2,')}: check 'd2' says expect: none, but the reference's d2 is not None" \
           in message


def test_a_probe_that_raises_on_the_reference_is_the_exercises_error(tmp_path):
    text = EXERCISE.replace("        return d2.sum()", "        return d2.sum() + d2.nope")
    message = _validation_error(tmp_path, text)
    path = tmp_path / "course/exercises/ex90_second.yaml"
    assert message == (f"{path}:{_line_of(text, '        return d2.sum() + d2.nope')}: the probe 'total' raised on "
                       f"the reference's values on public trial 1 (seed 0): AttributeError: 'Tensor' object has no "
                       f"attribute 'nope'")


def test_a_probe_that_raises_on_the_students_values_shows_its_exception(tmp_path):
    grade = _grade(tmp_path, SOLUTION.replace("return d1, d2", "return d1, 'not a tensor'"))
    total = _by_name(grade)["total"]
    assert "AttributeError" in total.message and "'str' object has no attribute 'sum'" in total.message
    assert "a error" not in total.message


# -- generic texts that said more than the evidence -------------------------------------------------------------------

def _tensor(grad: list | None, *, requires_grad: bool = True, is_leaf: bool = True) -> dict:
    node = {"t": "tensor", "ref": 0, "cls": "Tensor", "dtype": "float32", "shape": [2], "numel": 2, "param": False,
            "requires_grad": requires_grad, "is_leaf": is_leaf, "data": [1.0, 2.0], "storage": 0, "grad_fn": None}
    node["grad"] = None if grad is None else {**node, "data": grad, "requires_grad": False, "grad": None}
    return node


def test_a_gradient_where_none_belongs_says_why_from_the_expected_tensor(tmp_path):
    exercise = parse_exercise(_course(tmp_path) / "exercises" / "ex90_second.yaml")
    check = next(c for c in exercise.checks if c.name == "x.grad")

    def finding(expected: dict):
        values = lambda node: {"returns": {}, "args": {"x": node}, "probes": {}}  # noqa: E731
        return judge(check, exercise, values(expected), values(_tensor([3.0, 4.0])), before={}, autograd_calls=1,
                     rtol=1e-4, atol=1e-6)

    requires = finding(_tensor(None))
    assert requires.code == "value" and "must not require grad" not in requires.message
    assert "x requires grad, but no gradient should be left in it" in requires.message
    frozen = finding(_tensor(None, requires_grad=False))
    assert frozen.code == "requires_grad" and "x should not get a gradient: it must not require grad." in frozen.message
