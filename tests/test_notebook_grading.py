"""Notebook submissions end to end: cells run in order in the sandbox, function answers and free-form variables."""

from __future__ import annotations

import json
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from conftest import SPAWNER
from grader.cli import main
from grader.config import load_settings
from grader.exercise import exercise_files, parse_exercise
from grader.grade import grade_submission
from grader.source import read_submission

REPO = Path(__file__).resolve().parent.parent
CONFIG = str(REPO / "config.yaml")
SETTINGS = load_settings(REPO / "config.yaml")
SEEDS = Path(__file__).resolve().parent / "data" / "notebooks"
Q_BACKWARD = "def q_backward(a, b):\n    Q = 3 * a**3 - b**2\n    Q.backward(torch.ones_like(Q))\n    return Q\n"


def write(tmp_path: Path, *cells, name: str = "hw.ipynb") -> Path:
    notebook = new_notebook(cells=list(cells))
    path = tmp_path / name
    path.write_text(nbformat.writes(notebook), encoding="utf-8")
    return path


def grade(exercise_id: str, path: Path):
    exercise = parse_exercise(exercise_files(SETTINGS.exercises_dir)[exercise_id], SETTINGS)
    return grade_submission(exercise, read_submission(path), SETTINGS, seeds=(11, 12), spawner=SPAWNER)


def test_seed000_earns_full_marks_on_ex02_from_its_variables():
    result = grade("ex02", SEEDS / "seed000.ipynb")
    assert result.status == "passed", [(c.name, c.message) for c in result.checks if not c.passed]
    assert result.score == result.max_score == 10
    assert any("as they stood after cell 4" in note for note in result.notes)  # the 4th code cell: loss.backward()


def test_seed002_earns_full_marks_on_ex04_from_its_variables():
    result = grade("ex04", SEEDS / "seed002.ipynb")
    assert result.status == "passed", [(c.name, c.message) for c in result.checks if not c.passed]
    assert any("after cell 10" in note for note in result.notes)  # the 10th code cell: y.backward(v)


def test_a_function_answer_in_a_notebook_is_graded_like_a_file(tmp_path):
    path = write(tmp_path, new_markdown_cell("# ex03"), new_code_cell("import torch"), new_code_cell(Q_BACKWARD))
    result = grade("ex03", path)
    assert result.status == "passed"
    assert result.hidden_seeds == (11, 12)


def test_a_failing_cell_is_reported_and_later_cells_still_run(tmp_path):
    path = write(tmp_path, new_code_cell("import torch"), new_code_cell("print(undefined_name)"),
                 new_code_cell("1 +"), new_code_cell(Q_BACKWARD))
    result = grade("ex03", path)
    assert result.status == "passed"
    assert any(n.startswith("cell 2 failed and was skipped") and "NameError" in n and "undefined_name" in n
               for n in result.notes), result.notes
    assert any(n.startswith("cell 3 failed") and "line 1" in n for n in result.notes), result.notes


def test_exception_in_the_function_names_the_cell_and_line(tmp_path):
    code = "def q_backward(a, b):\n    Q = 3 * a**3 - b**2\n    return Q.nope()\n"
    result = grade("ex03", write(tmp_path, new_markdown_cell("# ex03"), new_code_cell("import torch"),
                                 new_markdown_cell("Now the answer:"), new_code_cell(code)))
    assert result.error.kind == "exception"
    # the cell as Jupyter shows it: the second code cell, markdown cells not counted; its line counted in the cell
    assert "AttributeError" in result.error.message
    assert "(in q_backward() in cell 2, line 3: return Q.nope())" in result.error.message, result.error.message


def test_magics_shell_escapes_and_missing_plotting_libraries_do_not_break_grading(tmp_path):
    path = write(tmp_path, new_code_cell("%matplotlib inline\n!pip install torch\nimport torch\n"
                                         "import matplotlib.pyplot as plt"),
                 new_code_cell("%%time\n" + Q_BACKWARD + "plt.plot([1, 2]); plt.show()\n"))
    result = grade("ex03", path)
    assert result.status == "passed", (result.error, result.notes)
    notes = " ".join(result.notes)
    assert "matplotlib is not installed" in notes
    assert "!pip install torch" in notes


def test_tagged_cells_are_graded_without_the_other_exercises_cells(tmp_path):
    other = new_code_cell("this is not python for ex01")
    other.metadata["grader"] = {"exercise": "ex01"}
    mine = new_code_cell(Q_BACKWARD)
    mine.metadata["grader"] = {"exercise": "ex03"}
    path = write(tmp_path, new_code_cell("import torch"), other, mine)
    result = grade("ex03", path)
    assert result.status == "passed"
    assert result.notes == ()


def test_a_notebook_that_answers_nothing_says_which_names_it_lacks(tmp_path):
    result = grade("ex03", write(tmp_path, new_code_cell("import torch\na = torch.ones(2)")))
    assert result.error.kind == "missing"
    assert "q_backward" in result.error.message


@pytest.mark.parametrize("content, words", [
    (b"{not json", "JSON"),
    (b'{"hello": 1}', "notebook"),
    (b"\xff\xfe\x00garbage", "UTF-8"),
], ids=["not json", "not a notebook", "not utf-8"])
def test_bad_notebooks_get_a_clear_error_not_a_traceback(tmp_path, content, words):
    path = tmp_path / "broken.ipynb"
    path.write_bytes(content)
    result = grade("ex03", path)
    assert result.status == "error" and result.error.kind == "syntax"
    assert words in result.error.message
    assert path.read_bytes() == content  # nothing is written back


def test_grade_all_grades_every_exercise_the_notebook_answers(tmp_path):
    first = ("def first_gradient(x):\n    x_tensor = torch.tensor(x, requires_grad=True)\n"
             "    y = 3 * x_tensor**2 + 4 * x_tensor + 2\n    y.backward()\n    return x_tensor, y\n")
    path = write(tmp_path, new_code_cell("import torch"), new_code_cell(first), new_code_cell(Q_BACKWARD))
    result = CliRunner().invoke(main, ["all", str(path), "--format", "json", "--config", CONFIG])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert [g["exercise"] for g in report["exercises"]] == ["ex01", "ex03"]
    assert report["score"] == report["max_score"] == 20
    text = CliRunner().invoke(main, ["all", str(path), "--config", CONFIG])
    assert text.stdout.rstrip().endswith("total: 20/20 over 2 exercise(s): ex01, ex03")


def test_start_notebook_writes_a_tagged_starter_that_grades_as_unfinished(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["start", "ex03", "--notebook", "--config", CONFIG])
    assert result.exit_code == 0, result.output
    notebook = nbformat.read(tmp_path / "ex03.ipynb", as_version=4)
    nbformat.validate(notebook)
    tagged = [c for c in notebook.cells if c.metadata.get("grader", {}).get("exercise") == "ex03"]
    assert tagged and "def q_backward(" in tagged[0].source
    graded = grade("ex03", tmp_path / "ex03.ipynb")
    assert graded.error.kind == "exception" and "NotImplementedError" in graded.error.message
    again = CliRunner().invoke(main, ["start", "ex03", "--notebook", "--config", CONFIG])
    assert again.exit_code == 2


# ------------------------------------------------------------------ free-form notebooks re-run on the grader's inputs

NAN_EVERYWHERE = (
    "import torch\nnan = float('nan')\n"
    "x = torch.tensor(nan, requires_grad=True); x.grad = torch.tensor(nan)\n"
    "y = torch.tensor(nan); v = torch.tensor(nan)\n"
    "w = torch.tensor(nan, requires_grad=True); w.grad = torch.tensor(nan)\n"
    "b = torch.tensor(nan, requires_grad=True); b.grad = torch.tensor(nan)\n"
    "a = torch.tensor(nan, requires_grad=True); a.grad = torch.tensor(nan)\n"
    "z = loss = Q = y\n"
    "x1 = x2 = w1 = w2 = y_true = torch.tensor(nan)\n"
    "dloss_dw1 = dloss_dw2 = dloss_db = y\n")
ZEROS_EVERYWHERE = NAN_EVERYWHERE.replace("float('nan')", "0.0")


@pytest.mark.parametrize("source", [NAN_EVERYWHERE, ZEROS_EVERYWHERE], ids=["nan", "zeros"])
@pytest.mark.parametrize("exercise_id", ["ex01", "ex02", "ex03", "ex04", "ex09"])
def test_a_notebook_of_chosen_values_earns_no_value_or_gradient_point(tmp_path, exercise_id, source):
    """Values the student picked (NaN, zeros) and an assigned .grad once scored full marks on five exercises."""
    result = grade(exercise_id, write(tmp_path, new_code_cell(source)))
    numeric = [c for c in result.checks if c.kind in ("value", "grad")]
    assert numeric and not any(c.passed for c in numeric), [(c.name, c.message) for c in numeric if c.passed]


def test_hard_coded_results_fail_as_not_following_the_inputs(tmp_path):
    cells = new_code_cell("import torch\na = torch.randn(3, requires_grad=True)\nb = torch.randn(3, requires_grad=True)"), \
        new_code_cell("Q = torch.tensor([1.5, -2.0, 0.25])\na.grad = torch.ones(3)\nb.grad = torch.ones(3)")
    result = grade("ex03", write(tmp_path, *cells))
    q = next(c for c in result.checks if c.name == "Q")
    assert q.diagnosis == "constant" and "came out the same on every trial" in q.message
    assert "the inputs (and the expected Q) changed" in q.message


def test_a_notebook_graded_on_its_own_values_no_longer_runs_the_reference_on_them(tmp_path):
    """ex04's reference doubles y until its norm passes 1000: on x = 0 it never ends. The grader picks x now."""
    code = new_code_cell("import torch\nx = torch.zeros(3, requires_grad=True)\nv = torch.ones(3)\ny = x * 3\n")
    previous = signal.signal(signal.SIGALRM, lambda *_: (_ for _ in ()).throw(TimeoutError("grading hung")))
    signal.alarm(60)
    try:
        result = grade("ex04", write(tmp_path, code))
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert result.error is None and result.score == 0  # graded: y without its doublings, no x.grad
    assert {c.name: c.diagnosis for c in result.checks} == {"y": "scaled", "x.grad": "missing_grad"}


def test_the_tutorial_notebook_earns_full_marks_at_its_own_sizes():
    """The autograd tutorial fixes its sizes (a gradient of ones of shape (2,)): the trials use n = 2, seeded values."""
    result = grade("ex03", SEEDS / "tutorial_ex03.ipynb")
    assert result.status == "passed", [(c.name, c.message) for c in result.checks if not c.passed]
    assert any("n = 2" in note and "after cell 4" in note for note in result.notes), result.notes


def test_a_by_hand_notebook_is_graded_on_the_trials_and_summing_is_named():
    right = grade("ex09", SEEDS / "tutorial_ex09.ipynb")
    assert right.status == "passed", [(c.name, c.message) for c in right.checks if not c.passed]
    summed = grade("ex09", SEEDS / "tutorial_ex09_summed.ipynb")
    assert {c.name: c.diagnosis for c in summed.checks if not c.passed} == {"dw1": "summed", "dw2": "summed"}


def test_cells_that_cannot_take_the_exercises_shapes_are_named_with_the_shapes(tmp_path):
    """ex02's x has 5 features; a notebook written for 7 runs on its own values and fails on the grader's."""
    cells = new_code_cell("import torch\nx = torch.ones(7)\ny = torch.zeros(3)\nscale = torch.full((7,), 0.5)\n"
                          "w = torch.randn(7, 3, requires_grad=True)\nb = torch.randn(3, requires_grad=True)"), \
        new_code_cell("z = torch.matmul(x * scale, w) + b\n"
                      "loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y)\nloss.backward()")
    result = grade("ex02", write(tmp_path, *cells))
    assert result.score == 0
    note = next(n for n in result.notes if n.startswith("cell 2 ran on your own values but failed"))
    assert "x: shape (5,) float32" in note and "w: shape (5, 3) float32, requires_grad" in note
    assert "write cells that work for any of them" in note


def test_every_trial_reruns_the_cells_with_fresh_inputs(tmp_path):
    """Public and hidden trials alike: the cells run once per trial, each time on that trial's inputs."""
    cells = new_code_cell("import torch\na = torch.randn(4, requires_grad=True)\nb = torch.randn(4, requires_grad=True)"), \
        new_code_cell("Q = 3 * a**3 - b**2\nQ.sum().backward()")
    result = grade("ex03", write(tmp_path, *cells))
    assert result.status == "passed" and result.hidden_seeds == (11, 12)
    assert any("each of the 4 trials" in note for note in result.notes), result.notes


def _batch(root: Path, book: Path) -> dict[tuple[str, str], tuple]:
    done = subprocess.run([sys.executable, "-m", "grader", "batch", str(root), "--gradebook", str(book),
                           "--exercises", "ex01,ex02,ex03,ex04,ex09", "--workers", "2", "--config", CONFIG],
                          capture_output=True, text=True, timeout=300, cwd=REPO)
    assert done.returncode == 0, done.stderr
    db = sqlite3.connect(book)
    return {(s, e): (score, status) for s, e, score, status in
            db.execute("SELECT student, exercise, score, status FROM grades")}


def test_a_batch_with_notebook_attacks_finishes_and_grades_everyone_else_the_same(tmp_path):
    """One notebook named after no exercise once took 50/50; another hung the whole class in the reference."""
    honest = tmp_path / "honest" / "submissions"
    (honest / "alice").mkdir(parents=True)
    (honest / "alice" / "ex03.py").write_text((REPO / "solutions" / "ex03.py").read_text(), encoding="utf-8")
    (honest / "alice" / "ex04.ipynb").write_bytes((SEEDS / "seed002.ipynb").read_bytes())
    (honest / "bob").mkdir()
    (honest / "bob" / "lab.ipynb").write_bytes((SEEDS / "seed000.ipynb").read_bytes())
    attacked = tmp_path / "attacked" / "submissions"
    shutil.copytree(honest, attacked)
    (attacked / "mallory").mkdir()
    write(attacked / "mallory", new_code_cell(NAN_EVERYWHERE), name="anything.ipynb")
    write(attacked / "mallory", new_code_cell("import torch\nx = torch.zeros(3, requires_grad=True)\n"
                                              "v = torch.ones(3)\ny = x * 3\n"), name="ex04.ipynb")
    without = _batch(honest, tmp_path / "honest.sqlite")
    with_mallory = _batch(attacked, tmp_path / "attacked.sqlite")
    assert {k: v for k, v in with_mallory.items() if k[0] != "mallory"} == without
    assert without[("alice", "ex04")] == (10.0, "passed") and without[("bob", "ex02")] == (10.0, "passed")
    mallory = {e: score for (s, e), (score, _) in with_mallory.items() if s == "mallory"}
    assert set(mallory) == {"ex01", "ex02", "ex03", "ex04", "ex09"} and sum(mallory.values()) <= 6, mallory


# Attacks by a hostile student on free-form grading (the variables of `notebook:` re-run on each trial's inputs).

Q_CELL = "Q = 3*a**3 - b**2\nQ.backward(gradient=torch.ones(2))"
STUDENT_AB = "torch.tensor([2., 3.], requires_grad=True), torch.tensor([6., 4.], requires_grad=True)"


@pytest.mark.parametrize("binding", [
    f"globals()['a'], globals()['b'] = {STUDENT_AB}",
    f"for a, b in [({STUDENT_AB})]:\n    pass",
    f"(a := {STUDENT_AB.split(', torch')[0]}); (b := torch{STUDENT_AB.split(', torch')[1]})",
    f"def choose():\n    global a, b\n    a, b = {STUDENT_AB}\nchoose()",
    f"exec('a, b = {STUDENT_AB}')",
    f"__grader_input__ = lambda name, value: value\na, b = {STUDENT_AB}",
], ids=["globals", "for-target", "walrus", "global-in-function", "exec", "rebinding-hook-replaced"])
def test_arguments_bound_where_the_rewrite_does_not_look_keep_the_students_values_and_score_nothing(tmp_path,
                                                                                                   binding):
    """Binding a and b out of the rewrite's sight only keeps the student's numbers: the same on every trial."""
    result = grade("ex03", write(tmp_path, new_code_cell("import torch"), new_code_cell(binding),
                                 new_code_cell(Q_CELL)))
    assert result.score == 0, [(c.name, c.message) for c in result.checks if c.passed]
    assert {c.diagnosis for c in result.checks} == {"constant"}


def test_one_fixed_doubling_count_per_cell_does_not_add_up_to_the_loop(tmp_path):
    """The best cell is chosen once for every trial: 19 cells, each with its own fixed count, still score nothing."""
    cells = [new_code_cell("import torch\nv = torch.ones(3)")]
    cells += [new_code_cell(f"x = torch.rand(3, requires_grad=True)\ny = x * 3 * 2**{k}\ny.backward(v)")
              for k in range(2, 21)]
    result = grade("ex04", write(tmp_path, *cells))
    assert result.score == 0 and {c.diagnosis for c in result.checks} == {"scaled"}


def test_checks_are_not_collected_from_different_cells(tmp_path):
    """A cell with the right Q and another with the right gradients: the grade is one cell's, never the union."""
    inputs = "a = torch.ones(2, requires_grad=True)\nb = torch.ones(2, requires_grad=True)\n"
    cells = (new_code_cell("import torch"), new_code_cell(inputs + "Q = 3*a**3 - b**2"),
             new_code_cell(inputs + "R = 3*a**3 - b**2\nR.backward(torch.ones(2))\nQ = R * 5"))
    result = grade("ex03", write(tmp_path, *cells))
    assert result.score == 6 and {c.name for c in result.checks if not c.passed} == {"Q"}


# Writes a state frame of its own to the child's result pipe, claiming no autograd ran, with only names the by-hand
# audit accepts (numpy writes to /proc/self/fd/N; a file in the working folder counts the trials).
FORGED_STATE = """
try:
    seen = numpy.fromfile("count.bin", dtype=numpy.int64)
except OSError:
    seen = numpy.array([-2], dtype=numpy.int64)
trial = int(seen[0]) + 1
numpy.array([trial], dtype=numpy.int64).tofile("count.bin")

def enc(t, r):
    return ('{"t":"tensor","ref":' + str(r) + ',"cls":"Tensor","dtype":"float32","shape":' + str(list(t.shape))
            + ',"numel":' + str(t.numel()) + ',"param":false,"requires_grad":false,"is_leaf":true,"grad_fn":null,'
            + '"storage":null,"data":' + str(t.reshape(-1).tolist()) + ',"grad":null}')

if trial >= 0:
    body = ('{"kind":"state","cell":777,"trial":' + str(trial) + ',"autograd_calls":0,"values":{"returns":{'
            + '"dw1":' + enc(dloss_dw1, 0) + ',"dw2":' + enc(dloss_dw2, 1) + ',"db":' + enc(dloss_db, 2)
            + '},"args":{},"probes":{}}}').encode()
    data = len(body).to_bytes(4, "big") + body
    for fd in range(3, 40):
        try:
            numpy.savetxt("/proc/self/fd/" + str(fd), numpy.array([data.decode("latin1")]), fmt="%s", newline="",
                          encoding="latin1")
            break
        except OSError:
            pass
"""


def test_a_forged_state_frame_cannot_hide_autograd_from_a_by_hand_check(tmp_path):
    """It once scored 10/10 on ex09 (cell 777 won): every state now carries the worst count the run reported."""
    first = ("import torch\nx1 = torch.randn(4, requires_grad=True)\nx2 = torch.randn(4, requires_grad=True)\n"
             "w1 = torch.randn(4, requires_grad=True)\nw2 = torch.randn(4, requires_grad=True)\n"
             "b = torch.randn((), requires_grad=True)\ny_true = torch.randn(4)\n")
    autograd = ("import numpy\ny_pred = x1 * w1 + x2 * w2 + b\nloss = ((y_pred - y_true) ** 2).mean()\n"
                "loss.backward()\ndloss_dw1 = w1.grad.clone()\ndloss_dw2 = w2.grad.clone()\ndloss_db = b.grad.clone()\n")
    path = write(tmp_path, new_code_cell(first), new_code_cell(autograd + FORGED_STATE))
    from grader.byhand import audit
    from grader.source import units_for
    assert audit(units_for(read_submission(path), "ex09")) is None  # the source itself passes as plain code
    result = grade("ex09", path)
    by_hand = next(c for c in result.checks if c.kind == "no_autograd")
    assert not by_hand.passed and by_hand.diagnosis == "used_autograd", by_hand.message
    assert result.score == 8  # the gradients are right: autograd computed them


FORGE_THE_END = """\
import json, os, stat, sys
from grader.sandbox.protocol import frame
sys.runs = getattr(sys, "runs", 0) + 1
if sys.runs == 5:  # the first run and three trials are over: this is the last trial's re-run
    for fd in (int(name) for name in os.listdir("/proc/self/fd")):
        try:
            if fd > 2 and stat.S_ISFIFO(os.fstat(fd).st_mode):
                for message in ({"kind": "trial", "index": 3, "seconds": 0.0, "freeform": True, "autograd_calls": 0},
                                {"kind": "done"}):
                    os.write(fd, frame(json.dumps(message).encode()))
        except OSError:
            pass
    while True:
        pass
"""


def test_a_forged_end_of_the_run_does_not_hide_a_timeout(tmp_path):
    """The submission writes the child's last messages itself, then spins: the report still says it timed out."""
    exercise = parse_exercise(exercise_files(SETTINGS.exercises_dir)["ex03"])
    path = write(tmp_path, *(new_code_cell(c) for c in (
        "import torch\na = torch.randn(3, requires_grad=True)\nb = torch.randn(3, requires_grad=True)",
        "Q = 3 * a**3 - b**2\nQ.sum().backward()", FORGE_THE_END)))
    result = grade_submission(exercise, read_submission(path), SETTINGS.with_overrides(timeout_s=2), seeds=(11, 12),
                              spawner=SPAWNER)
    assert result.error is not None and result.error.kind == "timeout", result.error
