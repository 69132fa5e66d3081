"""Course fixtures (fixtures.py), callable inputs and per-exercise limits, through every path that grades."""

from __future__ import annotations

import textwrap
from pathlib import Path

import nbformat
import pytest
import torch
from conftest import SPAWNER

from grader.config import load_settings
from grader.errors import ConfigError, ExerciseError
from grader.exercise import load_exercise, parse_exercise
from grader.fixtures import BUILT_IN, course_fixtures
from grader.grade import grade_submission, prepare
from grader.inputs import build_inputs, make_trials
from grader.oracle import build_oracle
from grader.platforms.bundle import write_bundle
from grader.platforms.install import torch_pin
from grader.platforms.stored import load_stored
from grader.sandbox.isolate import STRONG
from grader.source import read_submission

MARKER = "only-the-grader-reads-this-line"

FIXTURES_PY = f"""\
# {MARKER}
import torch
from torch import nn


class TinyNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        return torch.tanh(self.fc(x))


def tiny_net():
    return TinyNet()


def quartic(x):
    return (x ** 4).sum()


def _helper():
    return 1
"""

CONFIG = """\
schema: 1
exercises_dir: exercises
solutions_dir: solutions
hidden_trials: 2
sandbox:
  timeout_s: 8
  max_timeout_s: 20
"""

FORWARD = """\
schema: 2
id: ex01
title: "Run a model"
points: 2
prompt: "Return the model's output on x and a copy of its weight."
contract:
  function: forward
  signature: "forward(model, x)"
  returns: [out, weight]
inputs:
  model: {fixture: tiny_net}
  x: {tensor: [2, 4]}
trials:
  public: [0, 1]
reference: |
  def forward(model, x):
      return model(x), model.fc.weight.detach().clone()
checks:
  - {kind: value, target: out, points: 1}
  - {kind: value, target: weight, points: 1}
"""

GRADIENT = """\
schema: 2
id: ex02
title: "The gradient of f"
points: 1
prompt: "Return the gradient of f at x."
contract:
  function: grad_of
  signature: "grad_of(f, x)"
  returns: [g]
inputs:
  f: {callable: [sin_exp, cubic_sum, quartic]}
  x: {tensor: [5], dtype: float64}
trials:
  public: [0, 1, 2, 3, 4, 5]
reference: |
  def grad_of(f, x):
      x = x.detach().clone().requires_grad_(True)
      f(x).backward()
      return x.grad
checks:
  - {kind: value, target: g, points: 1}
"""

SPIN = """\
schema: 2
id: ex03
title: "Double"
points: 1
prompt: "Return 2 x."
contract:
  function: double
  signature: "double(x)"
  returns: [y]
inputs:
  x: {tensor: [3]}
limits: {timeout_s: 1}
trials:
  public: [0]
reference: |
  def double(x):
      return 2 * x
checks:
  - {kind: value, target: y, points: 1}
"""


def course(tmp_path: Path, *, fixtures: str | None = FIXTURES_PY, config: str = CONFIG,
           exercises: dict[str, str] | None = None) -> Path:
    """A throwaway course folder; returns its config.yaml."""
    root = tmp_path / "course"
    (root / "exercises").mkdir(parents=True)
    (root / "solutions").mkdir()
    (root / "config.yaml").write_text(config, encoding="utf-8")
    if fixtures is not None:
        (root / "fixtures.py").write_text(fixtures, encoding="utf-8")
    for name, text in (exercises or {"ex01_forward.yaml": FORWARD}).items():
        (root / "exercises" / name).write_text(text, encoding="utf-8")
    return root / "config.yaml"


def grade(tmp_path: Path, config: Path, exercise_id: str, code: str, *, settings=None, seeds=(4242,)):
    settings = settings or load_settings(config)
    exercise = load_exercise(settings.exercises_dir, exercise_id, settings)
    path = tmp_path / f"{exercise_id}.py"
    path.write_text(textwrap.dedent(code), encoding="utf-8")
    return grade_submission(exercise, read_submission(path), settings, seeds=seeds, spawner=SPAWNER)


def strong_or_skip(graded) -> None:
    if not graded.sandbox.startswith(STRONG):
        pytest.skip(f"this machine does not allow user namespaces here: the sandbox reached '{graded.sandbox}'")


# -- a course fixture reaches both sides, and only as an object -------------------------------------------------------

def test_a_course_fixture_reaches_the_student_and_the_reference_identically(tmp_path):
    config = course(tmp_path)
    code = """
        def forward(model, x):
            return model(x), model.fc.weight.detach().clone()
    """
    graded = grade(tmp_path, config, "ex01", code, seeds=(4242, 4243))
    assert graded.status == "passed", graded.checks
    # the reference's model: built from the trial's seed, so each trial has other weights, the same on both sides
    settings = load_settings(config)
    exercise = load_exercise(settings.exercises_dir, "ex01", settings)
    first, second = (build_inputs(exercise, seed)["model"] for seed in (0, 1))
    assert type(first).__name__ == "TinyNet"
    assert not torch.equal(first.fc.weight, second.fc.weight)
    assert torch.equal(first.fc.weight, build_inputs(exercise, 0)["model"].fc.weight)


STALE = FIXTURES_PY + """

def stale_net():
    model = TinyNet()
    for param in model.parameters():
        param.grad = torch.randn_like(param)
    return model
"""


def test_a_fixture_reaches_the_child_with_its_grads(tmp_path):
    """torch's pickling drops .grad; the stale gradients a fixture put there reach the student all the same."""
    config = course(tmp_path, fixtures=STALE, exercises={"ex01_forward.yaml": FORWARD.replace(
        "tiny_net", "stale_net").replace("model.fc.weight.detach().clone()", "model.fc.weight.grad.clone()")})
    code = """
        def forward(model, x):
            return model(x), model.fc.weight.grad.clone()
    """
    graded = grade(tmp_path, config, "ex01", code, seeds=(4242, 4243))
    assert graded.status == "passed", graded.checks
    zeroed = code.replace("def forward(model, x):", "def forward(model, x):\n            model.zero_grad(set_to_none=False)")
    assert [c.passed for c in grade(tmp_path, config, "ex01", zeroed).checks] == [True, False]


def test_a_student_who_ignores_the_fixture_fails(tmp_path):
    config = course(tmp_path)
    code = """
        import torch

        def forward(model, x):
            other = torch.nn.Linear(4, 3)
            return torch.tanh(other(x)), other.weight.detach().clone()
    """
    graded = grade(tmp_path, config, "ex01", code)
    assert [c.passed for c in graded.checks] == [False, False]


def test_the_child_cannot_read_fixtures_py_yet_receives_the_object(tmp_path):
    config = course(tmp_path)
    fixtures = config.parent / "fixtures.py"
    code = f"""
        import sys

        def forward(model, x):
            try:
                with open({str(fixtures)!r}) as handle:
                    text = handle.read()
                print("read", len(text), {MARKER!r} in text)
            except OSError as exc:
                print("refused", type(exc).__name__)
            print("modules", [name for name in sys.modules if "fixtures" in name])
            return model(x), model.fc.weight.detach().clone()
    """
    graded = grade(tmp_path, config, "ex01", code)
    strong_or_skip(graded)
    assert graded.status == "passed", graded.checks
    assert MARKER not in graded.output
    assert "read 0 False" in graded.output or "refused" in graded.output, graded.output
    assert "_grader_course_fixtures" not in graded.output  # the module itself never reaches the child


def test_the_plan_carries_built_objects_not_the_fixtures_file(tmp_path):
    config = course(tmp_path)
    settings = load_settings(config)
    exercise = load_exercise(settings.exercises_dir, "ex01", settings)
    path = tmp_path / "ex01.py"
    path.write_text("def forward(model, x):\n    return model(x), model.fc.weight\n", encoding="utf-8")
    pending = prepare(exercise, read_submission(path), settings, seeds=(9,))
    plan = pending.plan
    assert len(plan.built) == len(pending.trials) == 3
    assert str(config.parent / "fixtures.py") in plan.hidden
    assert plan.exercise.fixtures is None  # the child has no path to load it from
    assert all(MARKER.encode() not in blob for blob in plan.built)


def test_loading_fixtures_writes_no_compiled_copy_beside_them(tmp_path):
    config = course(tmp_path)
    settings = load_settings(config)
    course_fixtures(settings.fixtures)
    assert not (config.parent / "__pycache__").exists()


# -- callable inputs ---------------------------------------------------------------------------------------------------

def test_callable_inputs_vary_per_seed_and_reach_both_sides(tmp_path):
    config = course(tmp_path, exercises={"ex02_gradient.yaml": GRADIENT})
    settings = load_settings(config)
    exercise = load_exercise(settings.exercises_dir, "ex02", settings)
    chosen = {build_inputs(exercise, seed)["f"].__name__ for seed in range(30)}
    assert chosen == {"sin_exp", "cubic_sum", "quartic"}
    right = """
        def grad_of(f, x):
            x = x.detach().clone().requires_grad_(True)
            f(x).backward()
            return x.grad
    """
    assert grade(tmp_path, config, "ex02", right, seeds=(11, 12, 13)).status == "passed"
    always_cubic = """
        def grad_of(f, x):
            return 3 * x.detach() ** 2 - 2
    """
    graded = grade(tmp_path, config, "ex02", always_cubic, seeds=(11, 12, 13))
    assert not graded.checks[0].passed


def test_the_student_gets_the_function_itself(tmp_path):
    config = course(tmp_path, exercises={"ex02_gradient.yaml": GRADIENT})
    code = """
        def grad_of(f, x):
            print("got", f.__name__, callable(f))
            x = x.detach().clone().requires_grad_(True)
            f(x).backward()
            return x.grad
    """
    graded = grade(tmp_path, config, "ex02", code)
    assert graded.status == "passed"
    assert "got quartic True" in graded.output or "got sin_exp True" in graded.output


def test_built_in_scalar_functions_have_the_documented_gradients():
    x = torch.linspace(-1, 1, 7, dtype=torch.float64, requires_grad=True)
    BUILT_IN["sin_exp"](x).backward()
    assert torch.allclose(x.grad, (torch.cos(x) + torch.sin(x)) * torch.exp(x))
    x.grad = None
    BUILT_IN["cubic_sum"](x).backward()
    assert torch.allclose(x.grad, 3 * x ** 2 - 2)


def test_small_mlp_is_deterministic_under_the_seed(tmp_path):
    text = FORWARD.replace("{fixture: tiny_net}", "{fixture: small_mlp}").replace("model.fc.weight", "model[0].weight")
    exercise_path = tmp_path / "ex01_forward.yaml"
    exercise_path.write_text(text, encoding="utf-8")
    exercise = parse_exercise(exercise_path)  # the bundled course: built-in fixtures only
    model = build_inputs(exercise, 3)["model"]
    assert [type(m).__name__ for m in model] == ["Linear", "Tanh", "Linear"]
    assert (model[0].in_features, model[0].out_features, model[2].out_features) == (4, 8, 3)
    assert torch.equal(model[2].weight, build_inputs(exercise, 3)["model"][2].weight)
    assert not torch.equal(model[2].weight, build_inputs(exercise, 4)["model"][2].weight)


# -- a free-form notebook's re-runs get the objects too --------------------------------------------------------------

def test_a_free_form_notebook_is_rerun_with_the_course_fixture(tmp_path):
    text = FORWARD + "notebook:\n  args: {model: net, x: x}\n  returns: {out: out, weight: weight}\n"
    config = course(tmp_path, exercises={"ex01_forward.yaml": text})
    settings = load_settings(config)
    exercise = load_exercise(settings.exercises_dir, "ex01", settings)
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("import torch\nnet = torch.nn.Linear(4, 3)\nx = torch.ones(2, 4)"),
        nbformat.v4.new_code_cell("out = torch.tanh(net.fc(x)) if hasattr(net, 'fc') else net(x)\n"
                                  "weight = (net.fc.weight if hasattr(net, 'fc') else net.weight).detach().clone()"),
    ])
    path = tmp_path / "ex01.ipynb"
    path.write_text(nbformat.writes(notebook), encoding="utf-8")
    graded = grade_submission(exercise, read_submission(path), settings, seeds=(5,), spawner=SPAWNER)
    assert graded.status == "passed", (graded.checks, graded.notes)


# -- errors name the file and the line ---------------------------------------------------------------------------------

def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_an_unknown_fixture_names_the_file_line_and_the_known_ones(tmp_path):
    text = FORWARD.replace("{fixture: tiny_net}", "{fixture: tiny_nett}")
    config = course(tmp_path, exercises={"ex01_forward.yaml": text})
    settings = load_settings(config)
    with pytest.raises(ExerciseError) as caught:
        load_exercise(settings.exercises_dir, "ex01", settings)
    path = settings.exercises_dir / "ex01_forward.yaml"
    assert caught.value.message.startswith(f"{path}:{_line_of(text, 'model:')}: ")
    assert "unknown fixture 'tiny_nett'; known: small_convnet, small_mlp, tiny_net" in caught.value.message


def test_a_function_of_arguments_is_no_fixture(tmp_path):
    text = FORWARD.replace("{fixture: tiny_net}", "{fixture: quartic}")
    config = course(tmp_path, exercises={"ex01_forward.yaml": text})
    settings = load_settings(config)
    line = _line_of(FIXTURES_PY, "def quartic")
    with pytest.raises(ExerciseError, match=rf"'quartic' \(.*fixtures.py:{line}\) takes arguments.*"
                                            rf"callable: \[quartic\]"):
        load_exercise(settings.exercises_dir, "ex01", settings)


def test_an_unknown_callable_names_the_file_line_and_the_known_ones(tmp_path):
    text = GRADIENT.replace("cubic_sum, quartic]", "cubic_sum, quintic]")
    config = course(tmp_path, exercises={"ex02_gradient.yaml": text})
    settings = load_settings(config)
    with pytest.raises(ExerciseError) as caught:
        load_exercise(settings.exercises_dir, "ex02", settings)
    path = settings.exercises_dir / "ex02_gradient.yaml"
    assert caught.value.message.startswith(f"{path}:{_line_of(text, 'f: {callable')}: ")
    assert "unknown function 'quintic'; known: cubic_sum, quartic, sin_exp, small_convnet, small_mlp, tiny_net" \
        in caught.value.message


def test_a_course_fixture_is_unknown_without_the_course(tmp_path):
    config = course(tmp_path)
    with pytest.raises(ExerciseError, match="unknown fixture 'tiny_net'"):
        parse_exercise(config.parent / "exercises" / "ex01_forward.yaml")  # no settings: built-in fixtures only


def test_a_name_in_both_the_course_and_the_grader_is_refused(tmp_path):
    config = course(tmp_path, fixtures=FIXTURES_PY + "\n\ndef small_mlp():\n    return None\n")
    settings = load_settings(config)
    with pytest.raises(ConfigError) as caught:
        load_exercise(settings.exercises_dir, "ex01", settings)
    fixtures = settings.fixtures.resolve()
    line = _line_of(fixtures.read_text(), "def small_mlp")
    assert caught.value.message.startswith(f"{fixtures}:{line}: the fixture 'small_mlp' is also a built-in fixture")
    assert "grader/fixtures.py:" in caught.value.message


@pytest.mark.parametrize("broken, needle, why", [
    ("def tiny_net(:\n    pass\n", "def tiny_net(", "not valid Python"),
    ("import torch\n\nVALUE = 1 / 0\n", "VALUE", "ZeroDivisionError"),
    ("import no_such_module_here\n", "import no_such", "ModuleNotFoundError"),
])
def test_a_broken_fixtures_py_is_a_config_error_with_file_and_line(tmp_path, broken, needle, why):
    config = course(tmp_path, fixtures=broken)
    settings = load_settings(config)  # loading the settings reads no fixtures: that waits for an exercise
    with pytest.raises(ConfigError) as caught:
        load_exercise(settings.exercises_dir, "ex01", settings)
    fixtures = settings.fixtures.resolve()
    assert caught.value.message.startswith(f"{fixtures}:{_line_of(broken, needle)}: "), caught.value.message
    assert why in caught.value.message


def test_config_may_name_another_fixtures_file(tmp_path):
    config = course(tmp_path, fixtures=None, config=CONFIG + "fixtures: lib/models.py\n")
    (config.parent / "lib").mkdir()
    (config.parent / "lib" / "models.py").write_text(FIXTURES_PY, encoding="utf-8")
    settings = load_settings(config)
    assert settings.fixtures == config.parent.resolve() / "lib" / "models.py"
    assert load_exercise(settings.exercises_dir, "ex01", settings).inputs[0].fixture == "tiny_net"
    (config.parent / "lib" / "models.py").unlink()
    with pytest.raises(ConfigError, match=r"config.yaml:\d+: config.fixtures: .*models.py is not a file"):
        load_settings(config)


def test_a_fixture_that_fails_names_its_line(tmp_path):
    config = course(tmp_path, fixtures=FIXTURES_PY.replace("    return TinyNet()", "    raise ValueError('no')"))
    settings = load_settings(config)
    exercise = load_exercise(settings.exercises_dir, "ex01", settings)
    line = _line_of(FIXTURES_PY, "return TinyNet()")
    with pytest.raises(ExerciseError, match=rf"fixtures.py:{line}: the fixture 'tiny_net' .* failed on seed 0: "
                                            rf"ValueError"):
        build_inputs(exercise, 0)


# -- per-exercise limits -----------------------------------------------------------------------------------------------

def test_an_exercise_timeout_stops_a_spinning_submission_at_its_own_limit(tmp_path):
    config = course(tmp_path, exercises={"ex03_double.yaml": SPIN})
    graded = grade(tmp_path, config, "ex03", "def double(x):\n    while True:\n        pass\n")
    assert graded.error is not None and graded.error.kind == "timeout"
    assert "stopped after 1 s" in graded.error.message
    assert graded.seconds < 4  # the course's own timeout is 8 s


def test_the_command_line_wins_over_the_exercise_limit(tmp_path):
    config = course(tmp_path, exercises={"ex03_double.yaml": SPIN})
    settings = load_settings(config)
    exercise = load_exercise(settings.exercises_dir, "ex03", settings)
    assert settings.for_exercise(exercise.limits).limits.timeout_s == 1
    assert settings.with_overrides(timeout_s=3.0).for_exercise(exercise.limits).limits.timeout_s == 3
    assert settings.for_exercise(exercise.limits).limits.memory_mb == settings.limits.memory_mb  # not set: the course's


def test_the_reference_runs_within_the_exercise_timeout(tmp_path):
    slow = SPIN.replace("      return 2 * x", "      import time\n      time.sleep(3)\n      return 2 * x")
    config = course(tmp_path, exercises={"ex03_double.yaml": slow})
    with pytest.raises(ExerciseError, match="the reference ran longer than 1 s"):
        grade(tmp_path, config, "ex03", "def double(x):\n    return 2 * x\n")


def test_a_limit_above_the_cap_is_refused_at_load(tmp_path):
    text = SPIN.replace("limits: {timeout_s: 1}", "limits: {timeout_s: 30, memory_mb: 512}")
    config = course(tmp_path, exercises={"ex03_double.yaml": text})
    settings = load_settings(config)
    with pytest.raises(ExerciseError) as caught:
        load_exercise(settings.exercises_dir, "ex03", settings)
    path = settings.exercises_dir / "ex03_double.yaml"
    message = caught.value.message
    assert message.startswith(f"{path}:{_line_of(text, 'limits:')}: exercise.limits.timeout_s: 30 is above")
    assert f"sandbox.max_timeout_s: 20 ({config}:{_line_of(CONFIG, 'max_timeout_s')})" in message


def test_a_default_cap_says_where_to_raise_it(tmp_path):
    text = SPIN.replace("limits: {timeout_s: 1}", "limits: {output_limit_kb: 5000}")
    config = course(tmp_path, exercises={"ex03_double.yaml": text})
    settings = load_settings(config)
    with pytest.raises(ExerciseError, match=r"sandbox.max_output_limit_kb: 4096 \(the default; set "):
        load_exercise(settings.exercises_dir, "ex03", settings)


def test_unknown_limit_keys_are_refused(tmp_path):
    text = SPIN.replace("limits: {timeout_s: 1}", "limits: {timeout: 1}")
    config = course(tmp_path, exercises={"ex03_double.yaml": text})
    settings = load_settings(config)
    with pytest.raises(ExerciseError, match=r"unknown key 'timeout' in exercise.limits \(did you mean 'timeout_s'\?\)"):
        load_exercise(settings.exercises_dir, "ex03", settings)


def test_the_course_limits_must_fit_under_its_caps(tmp_path):
    config = course(tmp_path, config=CONFIG.replace("timeout_s: 8", "timeout_s: 30"))
    with pytest.raises(ConfigError, match=r"config.yaml:6: config.sandbox.timeout_s: the course's timeout_s \(30\) "
                                          r"is above its cap sandbox.max_timeout_s: 20"):
        load_settings(config)


def test_the_plan_carries_the_exercise_limits(tmp_path):
    config = course(tmp_path, exercises={"ex03_double.yaml": SPIN.replace("{timeout_s: 1}",
                                                                          "{timeout_s: 2, memory_mb: 700}")})
    settings = load_settings(config)
    exercise = load_exercise(settings.exercises_dir, "ex03", settings)
    path = tmp_path / "ex03.py"
    path.write_text("def double(x):\n    return 2 * x\n", encoding="utf-8")
    pending = prepare(exercise, read_submission(path), settings, seeds=())
    assert (pending.plan.limits.timeout_s, pending.plan.limits.memory_mb) == (2, 700)
    assert pending.plan.limits.output_limit_kb == settings.limits.output_limit_kb
    assert pending.settings.limits == pending.plan.limits  # judged with the limits it ran under
    assert pending.plan.built == ()  # no fixture input: nothing serialized


# -- the student bundle ------------------------------------------------------------------------------------------------

def test_the_bundle_grades_an_exercise_with_a_course_fixture(tmp_path):
    config = course(tmp_path, exercises={"ex01_forward.yaml": FORWARD, "ex02_gradient.yaml": GRADIENT,
                                         "ex03_double.yaml": SPIN})
    out = tmp_path / "student"
    write_bundle(load_settings(config), out, torch=torch_pin("2.13.0", None))
    assert (out / "fixtures.py").read_text(encoding="utf-8") == FIXTURES_PY
    settings = load_settings(out / "config.yaml")
    assert settings.fixtures == out.resolve() / "fixtures.py"
    for exercise_id, code in (("ex01", "def forward(model, x):\n    return model(x), model.fc.weight.detach()\n"),
                              ("ex02", "def grad_of(f, x):\n    x = x.detach().requires_grad_(True)\n"
                                       "    f(x).backward()\n    return x.grad\n")):
        exercise = load_exercise(settings.exercises_dir, exercise_id, settings)
        path = tmp_path / f"{exercise_id}.py"
        path.write_text(code, encoding="utf-8")
        graded = grade_submission(exercise, read_submission(path), settings, seeds=(), spawner=SPAWNER,
                                  oracle=load_stored(exercise))
        assert graded.status == "passed", (exercise_id, graded.checks)
    spin = load_exercise(settings.exercises_dir, "ex03", settings)
    assert settings.for_exercise(spin.limits).limits.timeout_s == 1  # the exercise's limits travel with it


def test_the_oracle_calls_course_fixtures_directly(tmp_path):
    config = course(tmp_path, exercises={"ex02_gradient.yaml": GRADIENT})
    settings = load_settings(config)
    exercise = load_exercise(settings.exercises_dir, "ex02", settings)
    oracle = build_oracle(exercise)
    from grader.oracle import expect

    trial = make_trials((0,), ())[0]
    expected = expect(oracle, trial, max_elements=1000)
    f, x = build_inputs(exercise, 0)["f"], build_inputs(exercise, 0)["x"].detach().requires_grad_(True)
    f(x).backward()
    assert expected.reference["returns"]["g"]["data"] == x.grad.tolist()
    assert expected.reference["args"]["f"] == {"t": "object", "cls": "function"}


# -- a class in batch, and the Gradescope zip --------------------------------------------------------------------------

def test_a_batch_grades_with_course_fixtures_and_each_exercise_limit(tmp_path):
    import json
    import sqlite3
    import subprocess
    import sys

    config = course(tmp_path, exercises={"ex01_forward.yaml": FORWARD, "ex03_double.yaml": SPIN})
    submissions = tmp_path / "submissions"
    for name, text in {"ann/ex01.py": "def forward(model, x):\n    return model(x), model.fc.weight.detach()\n",
                       "ann/ex03.py": "def double(x):\n    while True:\n        pass\n"}.items():
        (submissions / name).parent.mkdir(parents=True, exist_ok=True)
        (submissions / name).write_text(text, encoding="utf-8")
    book = tmp_path / "gradebook.sqlite"
    done = subprocess.run([sys.executable, "-m", "grader", "batch", str(submissions), "--config", str(config),
                           "--gradebook", str(book), "--workers", "1"], capture_output=True, text=True, timeout=300,
                          cwd=Path(__file__).resolve().parent.parent)
    assert done.returncode == 0, done.stderr
    rows = {row[0]: row[1:] for row in sqlite3.connect(book).execute("SELECT exercise, status, report FROM grades")}
    assert rows["ex01"][0] == "passed"
    assert rows["ex03"][0] == "error"
    assert "stopped after 1 s" in json.loads(rows["ex03"][1])["error"]["message"]


def test_the_gradescope_zip_carries_the_course_fixtures(tmp_path):
    import zipfile

    from grader.platforms.gradescope import build_zip, grade_folder

    config = course(tmp_path)
    out = tmp_path / "autograder.zip"
    names = build_zip(load_settings(config), ["ex01"], out, torch=torch_pin("2.13.0", None))
    assert "course/fixtures.py" in names
    unpacked = tmp_path / "source"
    zipfile.ZipFile(out).extractall(unpacked)
    submission = tmp_path / "submission"
    submission.mkdir()
    (submission / "ex01.py").write_text("def forward(model, x):\n    return model(x), model.fc.weight.detach()\n",
                                        encoding="utf-8")
    grades = grade_folder(load_settings(unpacked / "course" / "config.yaml"), submission)
    assert [g.status for g in grades] == ["passed"], grades[0].checks
