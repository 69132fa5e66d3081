"""The `grade` command through click's CliRunner: exit codes, report text, the JSON shape, course checks."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.cli import main

REPO = Path(__file__).resolve().parent.parent
CONFIG = REPO / "config.yaml"
SOLUTION = REPO / "solutions" / "ex03.py"
SIGN = REPO / "solutions" / "wrong" / "ex03_sign.py"
FAST = ["--hidden", "1", "--timeout", "5", "--config", str(CONFIG)]

CHECK_KEYS = {"name", "passed", "score", "max_score", "message", "diagnosis"}
ISOLATED = pytest.mark.filterwarnings("ignore:'isolated_filesystem' is deprecated:DeprecationWarning")
TOP_KEYS = {"exercise", "submission", "status", "score", "max_score", "checks", "error"}


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def _json(result) -> dict:
    """The command's stdout must be exactly one JSON object."""
    text = result.stdout
    decoder = json.JSONDecoder()
    obj, end = decoder.raw_decode(text.lstrip())
    assert text.lstrip()[end:].strip() == "", "more than one JSON value on stdout"
    assert isinstance(obj, dict)
    return obj


def _assert_documented_shape(report: dict) -> None:
    assert TOP_KEYS <= set(report)
    assert isinstance(report["exercise"], str) and isinstance(report["submission"], str)
    assert report["status"] in ("passed", "failed", "error")
    assert type(report["score"]) is float and type(report["max_score"]) is float
    assert isinstance(report["checks"], list) and report["checks"]
    for check in report["checks"]:
        assert CHECK_KEYS <= set(check)
        assert isinstance(check["name"], str) and type(check["passed"]) is bool
        assert type(check["score"]) is float and type(check["max_score"]) is float
        assert isinstance(check["message"], str)
        assert check["diagnosis"] is None or isinstance(check["diagnosis"], str)
    assert report["error"] is None or isinstance(report["error"], dict)
    assert report["score"] == pytest.approx(sum(c["score"] for c in report["checks"]))
    assert report["max_score"] == pytest.approx(sum(c["max_score"] for c in report["checks"]))


# --------------------------------------------------------------------------------------------------- grade run


def test_correct_solution_exits_0_with_report(runner):
    result = runner.invoke(main, ["ex03", str(SOLUTION), *FAST])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith("ex03: Gradients of Q = 3a³ − b²\n")
    assert f"submission: {SOLUTION}" in out
    for line in ("PASS  Q           4/4", "PASS  a.grad      3/3", "PASS  b.grad      3/3"):
        assert line in out
    assert "FAIL" not in out and "\033[" not in out  # no colour when not a terminal
    assert re.search(r"trials: public seeds 0, 1; hidden seeds (\d+) \(reproduce with: grade ex03 --seed \1 "
                     r"--hidden 1\)", out)
    assert out.rstrip().endswith("score: 10/10")


def test_explicit_run_subcommand_is_the_same(runner):
    result = runner.invoke(main, ["run", "ex03", str(SOLUTION), *FAST, "--seed", "11"])
    assert result.exit_code == 0
    assert "hidden seeds 11 " in result.stdout


def test_wrong_variant_exits_1_with_diagnosis(runner):
    result = runner.invoke(main, ["ex03", str(SIGN), *FAST, "--seed", "100"])
    assert result.exit_code == 1, result.output
    out = result.stdout
    assert "FAIL  Q           0/4  [sign]" in out
    assert "PASS  a.grad      3/3" in out
    assert "FAIL  b.grad      0/3  [sign]" in out
    assert "This matches Q = 3a³ + b²" in out
    assert "on public trial 1 (seed 0)" in out
    assert out.rstrip().endswith("score: 3/10")


def test_colour_on_request(runner):
    result = runner.invoke(main, ["ex03", str(SIGN), *FAST, "--color"], color=True)
    assert "\033[31mFAIL\033[0m" in result.stdout and "\033[32mPASS\033[0m" in result.stdout
    assert "\033[31mscore: 3/10\033[0m" in result.stdout


def test_json_for_a_passing_submission(runner):
    result = runner.invoke(main, ["ex03", str(SOLUTION), *FAST, "--format", "json", "--seed", "500"])
    assert result.exit_code == 0
    report = _json(result)
    _assert_documented_shape(report)
    assert report["exercise"] == "ex03" and report["submission"] == str(SOLUTION)
    assert (report["status"], report["score"], report["max_score"], report["error"]) == ("passed", 10.0, 10.0, None)
    assert [(c["name"], c["passed"], c["score"], c["max_score"], c["message"], c["diagnosis"])
            for c in report["checks"]] == [("Q", True, 4.0, 4.0, "", None), ("a.grad", True, 3.0, 3.0, "", None),
                                           ("b.grad", True, 3.0, 3.0, "", None)]
    assert report["seeds"] == {"public": [0, 1], "hidden": [500]}


def test_json_for_a_failing_submission(runner):
    result = runner.invoke(main, ["ex03", str(SIGN), *FAST, "--format", "json"])
    assert result.exit_code == 1
    report = _json(result)
    _assert_documented_shape(report)
    assert (report["status"], report["score"], report["max_score"], report["error"]) == ("failed", 3.0, 10.0, None)
    checks = {c["name"]: c for c in report["checks"]}
    assert checks["Q"]["passed"] is False and checks["Q"]["diagnosis"] == "sign" and checks["Q"]["score"] == 0
    assert "This matches Q = 3a³ + b²" in checks["Q"]["message"]
    assert checks["a.grad"]["passed"] is True and checks["a.grad"]["diagnosis"] is None
    assert checks["b.grad"]["diagnosis"] == "sign"


def test_json_for_an_erroring_submission(runner, tmp_path):
    broken = tmp_path / "broken.py"
    broken.write_text("import torch\n\n\ndef q_backward(a, b):\n    return a / nothing\n")
    result = runner.invoke(main, ["ex03", str(broken), *FAST, "--format", "json"])
    assert result.exit_code == 1
    report = _json(result)
    _assert_documented_shape(report)
    assert (report["status"], report["score"], report["max_score"]) == ("error", 0.0, 10.0)
    error = report["error"]
    assert set(error) >= {"kind", "message", "line", "code"}
    assert error["kind"] == "exception" and error["line"] == 5 and error["code"] == "return a / nothing"
    assert error["message"].startswith("NameError: name 'nothing' is not defined")
    assert all(c["passed"] is False and c["score"] == 0.0 and c["diagnosis"] == "exception"
               for c in report["checks"])


def test_json_for_a_timeout(runner, tmp_path):
    endless = tmp_path / "endless.py"
    endless.write_text("def q_backward(a, b):\n    while True:\n        pass\n")
    result = runner.invoke(main, ["ex03", str(endless), "--format", "json", "--hidden", "0", "--timeout", "1",
                                  "--config", str(CONFIG)])
    assert result.exit_code == 1
    report = _json(result)
    assert report["status"] == "error" and report["error"]["kind"] == "timeout"
    assert "stopped after 1 s" in report["error"]["message"]
    assert report["seeds"]["hidden"] == []


def test_printed_output_stays_in_its_field(runner, tmp_path):
    noisy = tmp_path / "noisy.py"
    noisy.write_text('print(\'{"status": "passed", "score": 10}\')\n' + SIGN.read_text())
    result = runner.invoke(main, ["ex03", str(noisy), *FAST, "--format", "json"])
    report = _json(result)  # still exactly one object: the submission's print did not reach stdout
    assert report["status"] == "failed" and report["score"] == 3.0
    assert report["output"] == '{"status": "passed", "score": 10}\n'


def test_seed_and_hidden_reproduce_the_hidden_seeds(runner, tmp_path):
    wrong_on_hidden = tmp_path / "late.py"
    wrong_on_hidden.write_text(
        "import torch\nCALLS = []\n\n\ndef q_backward(a, b):\n    CALLS.append(1)\n"
        "    sign = 1 if len(CALLS) <= 2 else -1\n    Q = 3 * a**3 - sign * b**2\n"
        "    Q.backward(torch.ones_like(Q))\n    return Q\n")
    args = ["ex03", str(wrong_on_hidden), "--format", "json", "--seed", "12345", "--hidden", "2",
            "--config", str(CONFIG)]
    first, second = (_json(runner.invoke(main, args)) for _ in range(2))
    assert first["seeds"] == second["seeds"] == {"public": [0, 1], "hidden": [12345, 12346]}
    assert first["checks"] == second["checks"]
    assert first["checks"][0]["trial"] == "hidden trial 3 (seed 12345)"
    assert first["score"] == 3.0
    fresh = _json(runner.invoke(main, ["ex03", str(wrong_on_hidden), "--format", "json", "--hidden", "2",
                                       "--config", str(CONFIG)]))
    assert len(fresh["seeds"]["hidden"]) == 2
    assert fresh["seeds"]["hidden"][1] == fresh["seeds"]["hidden"][0] + 1


# --------------------------------------------------------------------------------------------------- usage errors


def test_unknown_exercise_exits_2_with_did_you_mean(runner):
    result = runner.invoke(main, ["exo3", str(SOLUTION), "--config", str(CONFIG)])
    assert result.exit_code == 2
    assert "no exercise 'exo3'" in result.stderr
    assert "(did you mean ex03?)" in result.stderr
    assert "grade list" in result.stderr
    assert result.stdout == ""


def test_missing_submission_file_exits_2(runner, tmp_path):
    missing = tmp_path / "nope.py"
    result = runner.invoke(main, ["ex03", str(missing), "--config", str(CONFIG)])
    assert result.exit_code == 2
    assert result.stderr == f"error: {missing}: no such file\n"


@ISOLATED
def test_no_default_submission_exits_2(runner, tmp_path):
    with runner.isolated_filesystem(temp_dir=tmp_path):
        result = runner.invoke(main, ["ex03", "--config", str(CONFIG)])
        assert result.exit_code == 2
        assert "no ex03.py or ex03.ipynb in" in result.stderr


def test_bad_option_is_usage_error(runner):
    result = runner.invoke(main, ["ex03", str(SOLUTION), "--format", "xml", "--config", str(CONFIG)])
    assert result.exit_code == 2
    assert "'xml' is not one of 'text', 'json'" in result.stderr


@ISOLATED
def test_default_submission_in_the_current_folder(runner, tmp_path):
    with runner.isolated_filesystem(temp_dir=tmp_path) as folder:
        Path(folder, "ex03.py").write_text(SOLUTION.read_text())
        result = runner.invoke(main, ["ex03", "--format", "json", "--hidden", "1", "--config", str(CONFIG)])
        assert result.exit_code == 0, result.output
        report = _json(result)
        assert Path(report["submission"]).resolve() == Path(folder, "ex03.py").resolve()
        assert report["status"] == "passed"


@ISOLATED
def test_default_submission_graded_as_it_is(runner, tmp_path):
    with runner.isolated_filesystem(temp_dir=tmp_path):
        Path("ex03.py").write_text(SIGN.read_text())
        result = runner.invoke(main, ["ex03", "--hidden", "0", "--config", str(CONFIG)])
        assert result.exit_code == 1
        assert "score: 3/10" in result.stdout


# --------------------------------------------------------------------------------------------------- list / show


def test_list(runner):
    """Every exercise of the repository's course, one line each, in id order."""
    result = runner.invoke(main, ["list", "--config", str(CONFIG)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "ex03  Gradients of Q = 3a³ − b²  (10 points)" in lines
    ids = [line.split()[0] for line in lines]
    assert ids == sorted(ids) and len(ids) == len(list((REPO / "exercises").glob("ex*.yaml")))


def test_list_of_a_course(runner, course):
    result = runner.invoke(main, ["list", "--config", str(course / "config.yaml")])
    assert result.exit_code == 0
    assert result.stdout == "ex03  Gradients of Q = 3a³ − b²  (10 points)\n"


def test_show(runner):
    result = runner.invoke(main, ["show", "ex03", "--config", str(CONFIG)])
    assert result.exit_code == 0
    out = result.stdout
    assert out.startswith("ex03: Gradients of Q = 3a³ − b² (10 points)\n\nTwo tensors `a` and `b`")
    assert "Define:  q_backward(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor" in out
    assert "Checks:  Q (4), a.grad (3), b.grad (3)" in out


def test_show_unknown_exercise(runner):
    result = runner.invoke(main, ["show", "ex3", "--config", str(CONFIG)])
    assert result.exit_code == 2
    assert "did you mean ex03?" in result.stderr


# --------------------------------------------------------------------------------------------------- check-exercises


@pytest.fixture
def course(tmp_path) -> Path:
    """A temporary course holding only ex03 and its solution, no variants yet."""
    shutil.copy(CONFIG, tmp_path / "config.yaml")
    (tmp_path / "exercises").mkdir()
    for path in (REPO / "exercises").glob("ex03*.yaml"):
        shutil.copy(path, tmp_path / "exercises" / path.name)
    (tmp_path / "solutions" / "wrong").mkdir(parents=True)
    shutil.copy(SOLUTION, tmp_path / "solutions" / "ex03.py")
    return tmp_path


def test_check_exercises_on_the_repositorys_ex03(runner, course):
    """ex03 as the repository ships it: its solution and every known-wrong variant in solutions/wrong."""
    variants = sorted((REPO / "solutions" / "wrong").glob("ex03_*.py"))
    assert len(variants) >= 5
    for variant in variants:
        shutil.copy(variant, course / "solutions" / "wrong" / variant.name)
    result = runner.invoke(main, ["check-exercises", "--config", str(course / "config.yaml")])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "  ok    ex03: solutions/ex03.py scores 10/10\n" in out
    for variant in variants:
        declared = re.search(r"^# expect: (\S+)", variant.read_text(), re.MULTILINE).group(1)
        assert f"  ok    ex03: {variant.name} -> {declared}\n" in out
    assert "FAIL" not in out
    assert out.endswith("\nall exercises check out\n")


def test_check_exercises_names_a_variant_that_fails_differently(runner, course):
    # the sign mistake, declared as an accumulation mistake
    (course / "solutions" / "wrong" / "ex03_bad.py").write_text(
        "# expect: accumulated\n" + "\n".join(SIGN.read_text().splitlines()[2:]) + "\n")
    result = runner.invoke(main, ["check-exercises", "--config", str(course / "config.yaml")])
    assert result.exit_code == 1, result.output
    out = result.stdout
    assert "  ok    ex03: solutions/ex03.py scores 10/10" in out
    assert ("  FAIL  ex03: ex03_bad.py -> expected accumulated, got Q: sign (mistake plus-b-squared), b.grad: sign "
            "(mistake plus-b-squared)") in out
    assert out.rstrip().endswith("1 problem(s)")


def test_check_exercises_names_a_variant_that_scores_full(runner, course):
    (course / "solutions" / "wrong" / "ex03_fine.py").write_text("# expect: sign\n" + SOLUTION.read_text())
    result = runner.invoke(main, ["check-exercises", "--config", str(course / "config.yaml")])
    assert result.exit_code == 1
    assert "  FAIL  ex03: ex03_fine.py -> scored full marks" in result.stdout


def test_check_exercises_names_a_variant_without_header(runner, course):
    (course / "solutions" / "wrong" / "ex03_nohead.py").write_text(SIGN.read_text().split("\n", 2)[2])
    result = runner.invoke(main, ["check-exercises", "--config", str(course / "config.yaml")])
    assert result.exit_code == 1
    assert re.search(r"  FAIL  \S*ex03_nohead\.py:1: a known-wrong variant needs a header line '# expect: ",
                     result.stdout)


def test_check_exercises_grades_each_answer_in_another_style_like_the_solution(runner, course):
    """solutions/right/ex03_<style>.py must score full marks: one that does is ok, one that does not is named."""
    (course / "solutions" / "right").mkdir()
    (course / "solutions" / "right" / "ex03_same.py").write_text(SOLUTION.read_text())
    result = runner.invoke(main, ["check-exercises", "--config", str(course / "config.yaml")])
    assert result.exit_code == 0, result.output
    assert "  ok    ex03: solutions/right/ex03_same.py scores 10/10\n" in result.stdout
    (course / "solutions" / "right" / "ex03_signed.py").write_text(SIGN.read_text())
    result = runner.invoke(main, ["check-exercises", "--config", str(course / "config.yaml")])
    assert result.exit_code == 1
    assert re.search(r"  FAIL  ex03: solutions/right/ex03_signed\.py scores [0-9.]+/10 \(Q: ", result.stdout), \
        result.stdout


def test_check_exercises_with_a_missing_solution(runner, course):
    (course / "solutions" / "ex03.py").unlink()
    result = runner.invoke(main, ["check-exercises", "--config", str(course / "config.yaml")])
    assert result.exit_code == 1
    assert "  FAIL  ex03: no solution at " in result.stdout


def test_outside_a_course_json_stays_one_object_on_stdout_and_the_notice_goes_to_stderr(runner, tmp_path,
                                                                                        monkeypatch):
    shutil.copy(SOLUTION, tmp_path / "answer.py")
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(main, ["ex03", "answer.py", "--format", "json", "--hidden", "1", "--timeout", "5"])
    assert result.exit_code == 0, result.output
    assert _json(result)["status"] == "passed"
    assert result.stderr.startswith("grade: no course folder here (no config.yaml at or above ")
    assert result.stderr.count("\n") == 1


# --------------------------------------------------------------------------------------------------- config errors


@pytest.mark.parametrize("text, line, what", [
    ("schema: 1\nexercises_dir: exercises\nsandbox:\n  timeout_s: -1\n", 4, "timeout_s: must be greater than 0"),
    ("schema: 1\nexercises_dir: exercises\nsandbox:\n  timeout: 3\n", 4, "unknown key 'timeout'"),
    ("schema: 1\nexercises_dir: [\n", 3, "invalid YAML"),
    ("schema: 2\nexercises_dir: exercises\n", 1, "config schema 2 is newer"),
], ids=["bad value", "unknown key", "bad yaml", "newer schema"])
@pytest.mark.parametrize("command", [["list"], ["ex03", "x.py"], ["check-exercises"]], ids=" ".join)
def test_config_error_exits_2_naming_file_and_line(runner, tmp_path, text, line, what, command):
    config = tmp_path / "config.yaml"
    config.write_text(text)
    result = runner.invoke(main, [*command, "--config", str(config)])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"error: {config}:{line}: ")
    assert what in result.stderr
    assert result.stdout == ""


def test_the_console_entry_point_prints_and_exits_like_main(tmp_path):
    """grader.cli.run (the `grade` script) skips interpreter teardown; output and exit codes must survive it."""
    import subprocess
    import sys

    command = [sys.executable, "-m", "grader", "ex03", str(SOLUTION), "--format", "json", "--config", str(CONFIG)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["status"] == "passed"
    wrong = subprocess.run([*command[:4], str(SIGN), "--config", str(CONFIG)], capture_output=True, text=True,
                           timeout=120)
    assert wrong.returncode == 1
    assert wrong.stdout.rstrip().endswith("score: 3/10")
    usage = subprocess.run([*command[:3], "ex99", "--config", str(CONFIG)], capture_output=True, text=True,
                           timeout=120)
    assert usage.returncode == 2
    assert usage.stderr.startswith("error: no exercise 'ex99'")


# --------------------------------------------------------------------------------------------------- paths


def _course_copy(folder: Path) -> Path:
    folder.mkdir(parents=True)
    shutil.copy(CONFIG, folder)
    shutil.copy(REPO / "fixtures.py", folder)  # the course's own fixtures, which its exercises name
    shutil.copytree(REPO / "exercises", folder / "exercises")
    return folder / "config.yaml"


def _gradebook(path: Path) -> Path:
    """A gradebook with one graded student, as `grade batch` leaves it."""
    from grader.course.gradebook import Gradebook, Stamp
    from grader.result import CheckResult, Grade

    grade = Grade(exercise="ex03", title="Q", version=1, submission="alice/ex03.py",
                  checks=(CheckResult("Q", "value", True, 4.0, 4.0), CheckResult("a.grad", "grad", True, 3.0, 3.0),
                          CheckResult("b.grad", "grad", False, 0.0, 3.0, message="got -b", diagnosis="sign")),
                  public_seeds=(0, 1))
    with Gradebook(path) as book:
        book.record("alice", grade, files=["alice/ex03.py"], wall_seconds=0.1,
                    stamp=Stamp(file_hash="f" * 64, exercise_version=1, exercise_hash="e" * 64, settings_hash="s"))
    return path


def test_paths_may_start_with_a_tilde(runner, tmp_path, monkeypatch):
    """BUG (issue 12): a quoted '~/x' or --config=~/x reaches the grader unexpanded, and it took '~' literally."""
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(tmp_path)
    _course_copy(home / "course")
    shutil.copy(SOLUTION, home / "answer.py")
    _gradebook(home / "gb.sqlite")
    graded = runner.invoke(main, ["ex03", "~/answer.py", "--config", "~/course/config.yaml", "--hidden", "1"])
    assert graded.exit_code == 0, graded.output
    assert "submission: " + str(home / "answer.py") in graded.stdout
    assert runner.invoke(main, ["list", "--config=~/course/config.yaml"]).exit_code == 0
    exported = runner.invoke(main, ["export", "--gradebook", "~/gb.sqlite", "-o", "~/grades.csv"])
    assert exported.exit_code == 0, exported.output
    assert (home / "grades.csv").read_text().splitlines()[2] == "alice,7,7"
    reported = runner.invoke(main, ["report", "--gradebook=~/gb.sqlite", "-o", "~/report.html"])
    assert reported.exit_code == 0, reported.output
    assert "<svg" in (home / "report.html").read_text()
    assert not (tmp_path / "~").exists()


def test_paths_through_symlinks(runner, tmp_path, monkeypatch):
    """A symlinked course folder, answer file and gradebook folder: used as given, never resolved away."""
    config = _course_copy(tmp_path / "real" / "course")
    (tmp_path / "course").symlink_to(config.parent, target_is_directory=True)
    (tmp_path / "drafts").mkdir()
    shutil.copy(SOLUTION, tmp_path / "drafts" / "v3.py")
    (tmp_path / "books").mkdir()
    _gradebook(tmp_path / "books" / "gb.sqlite")
    work = tmp_path / "course" / "work"  # inside the course folder, reached through its symlink
    work.mkdir()
    (work / "ex03.py").symlink_to(tmp_path / "drafts" / "v3.py")
    (work / "books").symlink_to(tmp_path / "books", target_is_directory=True)
    monkeypatch.chdir(work)
    for args in (["ex03", "ex03.py"], ["ex03"]):  # named, and found as the default submission
        graded = runner.invoke(main, [*args, "--hidden", "1"])
        assert graded.exit_code == 0, graded.output
        assert "score: 10/10" in graded.stdout
    named = runner.invoke(main, ["ex03", "ex03.py", "--hidden", "1", "--config", "../config.yaml"])
    assert named.exit_code == 0 and "submission: ex03.py\n" in named.stdout
    exported = runner.invoke(main, ["export", "--gradebook", "books/gb.sqlite", "-o", "books/grades.csv"])
    assert exported.exit_code == 0, exported.output
    assert (tmp_path / "books" / "grades.csv").is_file()
    course_book = runner.invoke(main, ["export"])  # the course folder's own gradebook, found through the symlink
    assert course_book.exit_code == 2 and f"{config.parent}/grades/gradebook.sqlite: no gradebook" in course_book.stderr


def test_nothing_is_written_into_the_grader_package(runner, tmp_path, monkeypatch):
    import grader

    package = Path(grader.__file__).parent

    def files() -> list[Path]:
        return sorted(p for p in package.rglob("*") if "__pycache__" not in p.parts)  # imports may compile

    before = files()
    _gradebook(tmp_path / "gb.sqlite")
    for args in (["export", "--gradebook", str(tmp_path / "gb.sqlite"), "-o", str(package / "grades.csv")],
                 ["report", "--gradebook", str(tmp_path / "gb.sqlite"), "-o", str(package / "report.html")],
                 ["export", "--gradebook", str(package / "gb.sqlite")],
                 ["bundle", "-o", str(package / "student"), "--config", str(CONFIG)]):
        result = runner.invoke(main, args)
        assert result.exit_code == 2, (args, result.output)
        assert "would be written inside the grader package" in result.stderr
    monkeypatch.chdir(package)
    started = runner.invoke(main, ["start", "ex03"])
    assert started.exit_code == 2 and "inside the grader package" in started.stderr
    assert files() == before


# ---------------------------------------------------------------------------------------- the student-facing CLI


def test_outside_any_course_the_message_says_to_run_grade_from_the_course_folder(runner, tmp_path, monkeypatch):
    """An installed grader ships no course: the student ran grade in the wrong folder, not a bad exercises_dir."""
    monkeypatch.setattr("grader.config.package_root", lambda: tmp_path / "site-packages")
    (tmp_path / "home").mkdir()
    monkeypatch.chdir(tmp_path / "home")
    for command in (["ex03"], ["list"], ["show", "ex03"]):
        result = runner.invoke(main, command)
        assert result.exit_code == 2, result.output
        assert "Run grade from your course folder (the one that holds config.yaml and exercises/)" in result.stderr
        assert "set exercises_dir" not in result.stderr and "site-packages" not in result.stderr


def test_start_notebook_next_to_the_py_says_which_file_grade_grades(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shutil.copy(SOLUTION, tmp_path / "ex03.py")
    started = runner.invoke(main, ["start", "ex03", "--notebook", "--config", str(CONFIG)])
    assert started.exit_code == 0, started.output
    assert "note: ex03.py is here too; 'grade ex03' grades whichever of the two you changed last" in started.stdout
    notebook, script = tmp_path / "ex03.ipynb", tmp_path / "ex03.py"
    for newer, older, status in ((notebook, script, "error"), (script, notebook, "passed")):
        stamp = older.stat().st_mtime_ns
        os.utime(newer, ns=(stamp + 10**9, stamp + 10**9))
        result = runner.invoke(main, ["ex03", "--format", "json", *FAST])
        assert (f"both {older.name} and {newer.name} are here; grading {newer.name}, the one changed last"
                in result.stderr), result.stderr
        report = _json(result)
        assert report["submission"].endswith(newer.name) and report["status"] == status


@pytest.mark.parametrize("name", ["ex3.py", "Ex03.py", "ex03 (1).py", "ex03-copy.ipynb"])
def test_a_misnamed_file_gets_did_you_mean(runner, tmp_path, monkeypatch, name):
    monkeypatch.chdir(tmp_path)
    shutil.copy(SOLUTION, tmp_path / name)
    shutil.copy(SOLUTION, tmp_path / "ex04 (1).py")  # another exercise's file is never suggested
    result = runner.invoke(main, ["ex03", *FAST])
    assert result.exit_code != 0
    assert f"but there is '{name}': did you mean it?" in result.stderr, result.stderr
    assert "ex04" not in result.stderr


@pytest.mark.parametrize("name", ["ex03.py", "Ex3 (1).py"])
def test_a_file_name_is_understood_as_its_exercise_and_that_file(runner, tmp_path, monkeypatch, name):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()
    shutil.copy(SOLUTION, tmp_path / "sub" / name)
    result = runner.invoke(main, [f"sub/{name}", "--format", "json", *FAST])
    assert result.exit_code == 0, result.output
    report = _json(result)
    assert report["exercise"] == "ex03" and report["status"] == "passed" and report["submission"].endswith(name)
    unknown = runner.invoke(main, ["answer.py", *FAST])
    assert unknown.exit_code == 2 and "which exercise does answer.py answer? Name it first" in unknown.stderr


def test_help_lists_the_student_commands_apart_from_the_instructor_ones(runner):
    result = runner.invoke(main, ["--help"])
    assert result.exit_code == 0
    students, instructors = result.stdout.split("Commands for students:")[1].split("Commands for instructors:")
    assert {line.split()[0] for line in students.strip().splitlines()} == {"run", "list", "show", "start"}
    assert {"batch", "bundle", "check-exercises", "init"} <= {line.split()[0] for line in
                                                              instructors.strip().splitlines()}
