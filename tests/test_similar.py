"""`grade similar`: normalization, fingerprints with the starter subtracted, groups, the gradebook table, the report."""

from __future__ import annotations

import json
import sqlite3
import xml.etree.ElementTree as ET
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner

from grader.cli import main
from grader.course.gradebook import Gradebook, Stamp
from grader.course.normalize import fallback_tokens, normalize
from grader.course.roster import read_roster
from grader.course.similar import MAX_FILE_BYTES, find_similar
from grader.course.similarreport import mark
from grader.result import CheckResult, Grade

REPO = Path(__file__).resolve().parent.parent
CONFIG = REPO / "config.yaml"
SOLUTIONS = REPO / "solutions"
KEEP = frozenset({"q_backward", "second_derivative"})

ORIGINAL = """\
import torch


def cube(t):
    return t ** 3


def q_backward(a, b):
    first = 3 * cube(a)
    second = b ** 2
    Q = first - second
    Q.backward(gradient=torch.ones_like(Q))
    return Q
"""
# Renamed, reformatted, commented, independent statements swapped, function definitions in the other order.
DISGUISED = '''\
"""My own answer, honest."""
import torch as T

def q_backward( x,y ):
    # the b part first
    sq   = y**2
    big  = 3*third_power( x )     # 3a^3
    out = big-sq
    out.backward(gradient = T.ones_like(out))
    return out

def third_power(v):
    """Cube it."""
    return v**3
'''


def _tokens(source: str) -> list[str]:
    return [text for text, _ in normalize(source, keep=KEEP)[1]]


def test_names_comments_layout_and_independent_order_are_ignored():
    assert _tokens(DISGUISED) == _tokens(ORIGINAL)


def test_dependent_statements_keep_their_order():
    swapped = ORIGINAL.replace("    Q = first - second\n    Q.backward", "    Q.backward").replace(
        "    return Q", "    Q = first - second\n    return Q")
    assert _tokens(swapped) != _tokens(ORIGINAL)


def test_backward_is_never_moved_across():
    before = "def f(a, b):\n    Q = a * b\n    Q.sum().backward()\n    g = a.grad\n    return g\n"
    after = "def f(a, b):\n    Q = a * b\n    g = a.grad\n    Q.sum().backward()\n    return g\n"
    assert _tokens(before) != _tokens(after)


def test_attribute_and_torch_names_are_kept():
    words = _tokens("import numpy as np\ndef f(x):\n    y = np.exp(x).grad\n    return torch.exp(y)\n")
    assert {"numpy", "exp", "grad", "torch"} <= set(words) and "x" not in words and "np" not in words


def test_token_fallback_renames_names_and_drops_comments():
    words = [t for t, _ in fallback_tokens("def q_backward(a, b):\n    Q = a +* 2  # oops\n    return Q.grad\n",
                                           frozenset({"q_backward"}))]
    assert words == ["def", "q_backward", "(", "v0", ",", "v1", ")", ":", "v2", "=", "v0", "+", "*", "2",
                     "return", "v2", ".", "grad"]


def _class(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
    return root


def _starter(exercise_id: str) -> str:
    from grader.config import load_settings
    from grader.exercise import load_exercise
    from grader.starter import starter_text

    settings = load_settings(CONFIG)
    return starter_text(load_exercise(settings.exercises_dir, exercise_id, settings))


def _run(root: Path, exercise: str, threshold: float = 0.8):
    roster = read_roster(root, [exercise], (exercise,))
    return find_similar(exercise, list(roster.jobs), roster.folder, starter=_starter(exercise), keep=KEEP,
                        threshold=threshold)


def _nested(depth: int) -> str:
    return "x = " + "(" * depth + "1" + ")" * depth + "\n"


@pytest.fixture()
def ex03_class(tmp_path: Path) -> Path:
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import torch"),
                                               nbformat.v4.new_code_cell(ORIGINAL.replace("import torch\n", ""))])
    return _class(tmp_path / "submissions", {
        "alice/ex03.py": ORIGINAL,
        "bob/ex03.py": DISGUISED,
        "carol/ex03.ipynb": nbformat.writes(notebook),
        "dave/ex03.py": _starter("ex03"),
        "erin/ex03.py": _starter("ex03"),
        "frank/ex03.py": "def q_backward(a, b):\n    Q = 3 * a**3 - b**2 +\n    return Q\n",
        "gina/ex03.py": "# " + "x" * (MAX_FILE_BYTES * 4) + "\n" + ORIGINAL,  # 1 MB
        "hank/ex03.py": _nested(100_000),
        "ivan/ex03.py": "import torch\ndef q_backward(a, b):\n    c = a.detach().clone()\n    r = 3 * c.pow(3)\n"
                        "    r = r - b.pow(2)\n    r.sum().backward()\n    return r\n",
    })


def test_a_disguised_copy_and_a_notebook_copy_are_grouped(ex03_class: Path):
    result = _run(ex03_class, "ex03")
    [group] = result.groups
    assert group.members == ("alice", "bob", "carol")
    assert group.min_similarity >= 0.95
    assert group.best["bob"]["alice"] >= 0.95
    assert group.lines["carol"].startswith("cell 2, lines ")  # a notebook's lines are named by cell
    assert any("v4.backward(gradient = torch.ones_like(v4))" in row for row in group.excerpt)


def test_starter_code_is_subtracted(ex03_class: Path):
    result = _run(ex03_class, "ex03", threshold=0.0)
    flagged = {m for g in result.groups for m in g.members}
    assert not {"dave", "erin"} & flagged  # identical files, but all of it is the starter
    shares = {p.student: p.starter_share for p in result.submissions}
    assert shares["dave"] == shares["erin"] == 1.0
    assert 0 < shares["alice"] < 0.5


def test_hostile_files_are_reported_not_fatal(ex03_class: Path):
    by_student = {p.student: p for p in _run(ex03_class, "ex03").submissions}
    assert by_student["gina"].method == "skipped" and "KB limit" in by_student["gina"].problem
    assert by_student["frank"].method == "tokens" and "does not parse" in by_student["frank"].problem
    assert by_student["hank"].method == "tokens"  # too deep for ast: read as tokens instead
    assert by_student["alice"].method == "syntax"


def test_a_different_correct_solution_is_not_grouped(tmp_path: Path):
    root = _class(tmp_path / "submissions", {
        "alice/ex12.py": (SOLUTIONS / "ex12.py").read_text(),
        "bob/ex12.py": (SOLUTIONS / "right" / "ex12_func_grad.py").read_text(),
        "carol/ex12.py": (SOLUTIONS / "right" / "ex12_backward.py").read_text(),
    })
    result = _run(root, "ex12", threshold=0.5)
    assert result.groups == ()
    assert result.pairs_compared <= 3


def test_a_link_outside_the_class_is_not_read(tmp_path: Path):
    secret = tmp_path / "secret.py"
    secret.write_text(ORIGINAL)
    root = _class(tmp_path / "submissions", {"alice/ex03.py": ORIGINAL})
    (root / "mallory").mkdir()
    (root / "mallory" / "ex03.py").symlink_to(secret)
    result = _run(root, "ex03")
    assert result.groups == ()
    assert "outside the submissions folder" in {p.student: p for p in result.submissions}["mallory"].problem


def _similar(*args: str | Path):
    return CliRunner().invoke(main, ["similar", *map(str, args), "--config", str(CONFIG)])


def test_command_writes_the_table_once_per_run_and_json(ex03_class: Path, tmp_path: Path):
    book = tmp_path / "grades" / "gradebook.sqlite"
    done = _similar("--exercise", "ex03", ex03_class, "--gradebook", book, "--format", "json")
    assert done.exit_code == 0, done.output
    data = json.loads(done.stdout)
    assert [g["members"] for g in data["groups"]] == [["alice", "bob", "carol"]]
    assert "not a verdict" in data["notice"]
    assert {s["student"]: s["method"] for s in data["submissions"]}["gina"] == "skipped"
    again = _similar("--exercise", "ex03", ex03_class, "--gradebook", book)
    assert again.exit_code == 0 and "Group 1: alice, bob, carol" in again.stdout and "not a verdict" in again.stdout
    db = sqlite3.connect(book)
    rows = db.execute("SELECT student, grp, similarity FROM similar WHERE exercise = 'ex03'").fetchall()
    assert sorted(s for s, _, _ in rows) == ["alice", "bob", "carol"] and all(sim >= 0.95 for *_, sim in rows)
    events = db.execute("SELECT student FROM events WHERE kind = 'similar'").fetchall()
    assert sorted(s for (s,) in events) == ["alice", "bob", "carol"]  # the rerun changed nothing: no new events
    (ex03_class / "bob" / "ex03.py").write_text(_starter("ex03"))  # bob's copy is gone: the run is replaced
    _similar("--exercise", "ex03", ex03_class, "--gradebook", book)
    assert sorted(s for (s,) in db.execute("SELECT student FROM similar")) == ["alice", "carol"]
    assert db.execute("SELECT COUNT(*) FROM events WHERE kind = 'similar'").fetchone()[0] == 6  # all three changed


def test_unknown_exercise_and_too_few_submissions(tmp_path: Path):
    root = _class(tmp_path / "submissions", {"alice/ex03.py": ORIGINAL})
    book = tmp_path / "gradebook.sqlite"
    unknown = _similar("--exercise", "ex3", root, "--gradebook", book)
    assert unknown.exit_code != 0 and "did you mean ex03?" in unknown.output
    alone = _similar("--exercise", "ex03", root, "--gradebook", book)
    assert alone.exit_code == 0 and "1 submission(s)" in alone.stdout and "at least two" in alone.stdout


def test_class_report_marks_the_group(ex03_class: Path, tmp_path: Path):
    book_path = tmp_path / "gradebook.sqlite"
    with Gradebook(book_path) as book:
        for student in ("alice", "bob", "carol", "dave"):
            grade = Grade(exercise="ex03", title="Q", version=1, submission="ex03.py", checks=(
                CheckResult(name="Q", kind="value", passed=True, score=4.0, max_score=4.0, message=""),))
            book.record(student, grade, files=["ex03.py"], stamp=Stamp("h", 1, "e", "s"), wall_seconds=0.0)
        book.set_meta("exercises", json.dumps(["ex03"]))
    assert _similar("--exercise", "ex03", ex03_class, "--gradebook", book_path).exit_code == 0
    page = CliRunner().invoke(main, ["report", "-o", "-", "--gradebook", str(book_path), "--config", str(CONFIG)])
    assert page.exit_code == 0, page.output
    rows = {(r.get("data-student"), r.get("data-exercise")): "".join(r.itertext())
            for r in ET.fromstring(page.stdout).iter("tr") if r.get("class") == "similar"}
    assert set(rows) == {("alice", "ex03"), ("bob", "ex03"), ("carol", "ex03")}
    assert "similar to bob, carol (1.00)" in rows["alice", "ex03"]
    assert "not a verdict" in page.stdout
    with Gradebook(book_path) as book:  # a score is never changed
        assert {g.score for r in book.results() for g in r.grades} == {4.0}


def test_mark_names_the_closest_first():
    assert mark({"carol": 0.85, "bob": 0.93}) == "similar to bob, carol (0.93)"
    assert mark({}) == ""


def test_deep_nesting_in_a_parsable_file_falls_back(tmp_path: Path):
    deep = "x = " + " + ".join(["1"] * 20_000) + "\n"  # parses, but too deep for a recursive walk
    renamed = ORIGINAL.replace("first", "alpha").replace("Q", "result")
    root = _class(tmp_path / "submissions", {"alice/ex03.py": deep + ORIGINAL, "bob/ex03.py": deep + renamed})
    result = _run(root, "ex03")
    assert {p.method for p in result.submissions} == {"tokens"}
    assert "RecursionError" in result.submissions[0].problem
    assert [g.members for g in result.groups] == [("alice", "bob")]
