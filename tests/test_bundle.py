"""grade bundle: no answers leave the course, yet every exercise grades in the bundle exactly as in the course."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from conftest import CONFIG, REPO, SOLUTIONS, SPAWNER

from grader.platforms.bundle import write_bundle
from grader.cli import main
from grader.config import load_settings
from grader.errors import ExerciseError, UsageError
from grader.exercise import exercise_files, load_exercise, parse_exercise
from grader.grade import conclude, expectations, prepare
from grader.inputs import make_trials
from grader.platforms.install import DEPENDENCIES, torch_pin
from grader.oracle import build_oracle
from grader.result import Grade
from grader.course.selfcheck import read_expectation, verdict
from grader.source import read_submission
from grader.starter import starter_text
from grader.platforms.stored import StoredOracle, load_stored

COURSE = load_settings(CONFIG)
IDS = list(exercise_files(COURSE.exercises_dir))
MIN_LINE = 12  # shorter lines (`return Q`, `import torch`) are not distinctive enough to mean a leak


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bundle") / "student"
    write_bundle(COURSE, out, torch=torch_pin("2.13.0", None))
    return out


def _bundle_text(folder: Path) -> str:
    """Every file's text, notebooks read as the cell sources they hold (JSON would escape quotes and newlines)."""
    parts = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        text = path.read_text(encoding="utf-8", errors="replace")
        if path.suffix == ".ipynb":
            text = "\n".join("".join(c["source"]) for c in json.loads(text)["cells"])
        parts.append(text)
    return "\n".join(parts)


def _answer_lines() -> set[str]:
    """Distinctive lines of every reference, known-mistake code and solution file, minus what is public anyway.

    Public: prompts, starters, probes, mistake messages (shown with a diagnosis), the grader's own source and the
    course's fixtures.py (shipped with the bundle: the grader builds fixture inputs from it there).
    """
    code = []
    public = [p.read_text(encoding="utf-8") for p in (REPO / "grader").rglob("*.py")]
    public += [COURSE.fixtures.read_text(encoding="utf-8")] if COURSE.fixtures is not None else []
    for exercise_id in IDS:
        exercise = load_exercise(COURSE.exercises_dir, exercise_id, COURSE)
        code += [exercise.reference.source, *(m.code.source for m in exercise.mistakes)]
        public += [exercise.prompt, exercise.starter, *(p.source for p in exercise.probes.values()),
                   *(m.message for m in exercise.mistakes)]
    code += [p.read_text(encoding="utf-8") for p in sorted(SOLUTIONS.rglob("*.py"))]
    public_text = "\n".join(public)
    return {line.strip() for text in code for line in text.splitlines()
            if len(line.strip()) >= MIN_LINE and not line.strip().startswith("#")
            and line.strip() not in public_text}


def test_no_reference_mistake_or_solution_code_in_the_bundle(bundle):
    lines = _answer_lines()
    course_text = "\n".join(p.read_text(encoding="utf-8") for p in COURSE.exercises_dir.glob("*.yaml"))
    assert len(lines) > 100 and sum(line in course_text for line in lines) > 50  # the scan can find a leak
    text = _bundle_text(bundle)
    assert sorted(line for line in lines if line in text) == []
    assert not any(part == "solutions" for p in bundle.rglob("*") for part in p.relative_to(bundle).parts)


def test_no_hidden_trials_in_the_bundle(tmp_path):
    course = tmp_path / "course"
    (course / "exercises").mkdir(parents=True)
    source = (COURSE.exercises_dir / "ex03_q_gradients.yaml").read_text(encoding="utf-8")
    (course / "exercises" / "ex03_q_gradients.yaml").write_text(
        source.replace("public: [0, 1]", "public: [0, 1]\n  hidden: 7"), encoding="utf-8")
    (course / "config.yaml").write_text("schema: 1\nexercises_dir: exercises\nhidden_trials: 5\n", encoding="utf-8")
    settings = load_settings(course / "config.yaml")
    assert load_exercise(settings.exercises_dir, "ex03").hidden_trials == 7
    out = tmp_path / "student"
    write_bundle(settings, out, torch=torch_pin("2.13.0", None))
    shipped = yaml.safe_load((out / "exercises" / "ex03_q_gradients.yaml").read_text(encoding="utf-8"))
    assert shipped["trials"] == {"public": [0, 1]} and "reference" not in shipped
    assert all(set(m) <= {"id", "diagnosis", "message", "checks"} for m in shipped["mistakes"])
    assert load_settings(out / "config.yaml").hidden_trials == 0
    assert not re.search(r"^\s*hidden\s*:", _bundle_text(out / "exercises"), re.MULTILINE)
    stored = json.loads((out / "exercises" / "ex03_q_gradients.expected.json").read_text(encoding="utf-8"))
    assert [t["seed"] for t in stored["trials"]] == [0, 1]


def _grade(settings, exercise, oracle, path: Path, expected: list):
    """Grade on the public trials in the warm launcher, with expectations computed once per exercise."""
    pending = prepare(exercise, read_submission(path), settings.with_overrides(timeout_s=5.0), seeds=())
    if isinstance(pending, Grade):
        return pending
    SPAWNER.start(pending.plan)
    raw = SPAWNER.wait()
    return conclude(pending, raw, oracle, expected)


def _summary(grade) -> list[tuple]:
    return [(c.name, c.passed, c.score, c.diagnosis, c.message, c.mistake) for c in grade.checks]


@pytest.mark.parametrize("exercise_id", IDS)
def test_every_exercise_grades_in_the_bundle_as_in_the_course(bundle, exercise_id):
    settings = load_settings(bundle / "config.yaml")
    exercise = load_exercise(settings.exercises_dir, exercise_id, settings)
    oracle = load_stored(exercise)
    assert isinstance(oracle, StoredOracle) and exercise.reference.source == ""
    course_exercise = load_exercise(COURSE.exercises_dir, exercise_id, COURSE)
    course_oracle = build_oracle(course_exercise)
    trials = make_trials(exercise.public_seeds, ())
    stored, live = expectations(oracle, trials, settings), expectations(course_oracle, trials, COURSE)

    solution = _grade(settings, exercise, oracle, SOLUTIONS / f"{exercise_id}.py", stored)
    assert solution.status == "passed" and solution.score == solution.max_score == exercise.points
    variants = sorted((SOLUTIONS / "wrong").glob(f"{exercise_id}_*.py"))
    assert variants
    for variant in variants:
        graded = _grade(settings, exercise, oracle, variant, stored)
        assert verdict(graded, read_expectation(variant, course_exercise)) is None, variant.name  # may name a mistake
        # Stored values judge exactly like the live reference on the same public trials.
        assert _summary(graded) == _summary(_grade(COURSE, course_exercise, course_oracle, variant, live)), variant.name


def test_grade_in_the_bundle_through_the_cli(bundle, monkeypatch):
    monkeypatch.chdir(bundle)
    runner = CliRunner()
    passed = runner.invoke(main, ["ex03", str(SOLUTIONS / "ex03.py"), "--timeout", "5"])
    assert passed.exit_code == 0, passed.output
    assert "score: 10/10" in passed.output and "public seeds 0, 1" in passed.output
    # the bundle runs the 2 public trials; hand-in runs 2 + the course's 3 hidden ones within the same limit
    assert re.search(r"time: [\d.]+ s of the 5 s limit for 2 trials \(each took [^)]*\); at hand-in the same 5 s "
                     r"covers 5 trials, about [\d.]+ s at this pace", passed.output), passed.output
    starter = runner.invoke(main, ["ex03", "--timeout", "5"])  # ./ex03.py, the starter the bundle wrote
    assert starter.exit_code == 1 and "starter's placeholder" in starter.output
    hidden = runner.invoke(main, ["ex03", str(SOLUTIONS / "ex03.py"), "--hidden", "1"])
    assert hidden.exit_code == 2 and "hidden trials run only where the instructor's course" in hidden.stderr


def test_free_form_notebook_in_the_bundle_is_graded_on_the_stored_public_trials(bundle, monkeypatch):
    """A free-form notebook re-runs on the trials' inputs, so the bundle's stored values judge it: no reference."""
    monkeypatch.chdir(bundle)
    notebook = REPO / "tests" / "data" / "notebooks" / "seed000.ipynb"
    result = CliRunner().invoke(main, ["ex02", str(notebook), "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["score"] == report["max_score"] == 10 and report["seeds"] == {"public": [0, 1], "hidden": []}


def test_bundle_contents_and_readme(bundle):
    for exercise_id in IDS:
        starter = starter_text(load_exercise(COURSE.exercises_dir, exercise_id, COURSE))
        assert (bundle / f"{exercise_id}.py").read_text(encoding="utf-8") == starter
        cells = json.loads((bundle / "notebooks" / f"{exercise_id}.ipynb").read_text(encoding="utf-8"))["cells"]
        assert cells[-1]["metadata"]["grader"]["exercise"] == exercise_id
    readme = (bundle / "README.md").read_text(encoding="utf-8")
    assert "pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu" in readme
    assert "pip install ./grader-src" in readme and all(f"`{e}`" in readme for e in IDS)
    assert (bundle / "grader-src" / "grader" / "cli" / "platforms.py").is_file()


def test_bundle_command_refuses_a_folder_in_use(tmp_path):
    out = tmp_path / "student"
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    runner = CliRunner()
    refused = runner.invoke(main, ["bundle", "ex01", "-o", str(out), "--config", str(CONFIG)])
    assert refused.exit_code == 2 and "--force" in refused.stderr
    written = runner.invoke(main, ["bundle", "ex01", "-o", str(out), "--force", "--config", str(CONFIG)])
    assert written.exit_code == 0, written.output
    assert sorted(p.name for p in (out / "exercises").iterdir()) == ["ex01_first_gradient.expected.json",
                                                                    "ex01_first_gradient.yaml"]
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_stored_values_must_match_the_exercise(bundle, tmp_path):
    folder = tmp_path / "exercises"
    folder.mkdir()
    for name in ("ex03_q_gradients.yaml", "ex03_q_gradients.expected.json"):
        (folder / name).write_text((bundle / "exercises" / name).read_text(encoding="utf-8"), encoding="utf-8")
    path = folder / "ex03_q_gradients.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("version: 1", "version: 2"), encoding="utf-8")
    with pytest.raises(ExerciseError, match=r"expected\.json:1: .*ex03 version 1.*version 2; rebuild .*grade bundle"):
        load_stored(parse_exercise(path))
    both = path.read_text(encoding="utf-8") + "reference: |\n  def q_backward(a, b):\n      return a\n"
    path.write_text(both, encoding="utf-8")
    with pytest.raises(ExerciseError, match=r"ex03_q_gradients\.yaml:\d+: .*drop 'reference'"):
        parse_exercise(path)


def test_install_metadata_matches_the_project():
    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")  # tomllib is Python 3.11+; this runs on 3.10
    listed = re.search(r"^dependencies = \[(.*?)^\]", pyproject, re.MULTILINE | re.DOTALL).group(1)
    assert list(DEPENDENCIES) == re.findall(r'"([^"]+)"', listed)
    assert torch_pin("2.2", "").pip_args == "torch==2.2"
    for wrong in ("2.1.0", "3.0.0", "latest"):
        with pytest.raises(UsageError, match="--torch"):
            torch_pin(wrong, None)


def test_stored_hand_in_trials_are_read_and_checked(bundle, tmp_path):
    folder = tmp_path / "exercises"
    folder.mkdir()
    for name in ("ex03_q_gradients.yaml", "ex03_q_gradients.expected.json"):
        (folder / name).write_text((bundle / "exercises" / name).read_text(encoding="utf-8"), encoding="utf-8")
    exercise = parse_exercise(folder / "ex03_q_gradients.yaml")
    assert load_stored(exercise).handin_trials == 2 + COURSE.hidden_trials
    data_path = folder / "ex03_q_gradients.expected.json"
    data = json.loads(data_path.read_text(encoding="utf-8"))
    data_path.write_text(json.dumps({**data, "handin_trials": "five"}), encoding="utf-8")
    with pytest.raises(ExerciseError, match=r"expected\.json:1: handin_trials must be a whole number.*'five'"):
        load_stored(exercise)
    del data["handin_trials"]  # a bundle built before the count was recorded: still grades, the count unknown
    data_path.write_text(json.dumps(data), encoding="utf-8")
    assert load_stored(exercise).handin_trials == 0
