"""Prove exercises: each loads, its solution scores full marks, each known-wrong variant fails as it declares.

A correct answer in another style, solutions/right/<id>_<style>.py, must score full marks like the solution.
A variant is solutions/wrong/<id>_<what>.py and says what it must produce in header comments:
    # expect: accumulated        (a diagnosis code, an error kind, or the id of one of the exercise's mistakes)
    # check: a.grad              (optional: the check that must carry it)
With a mistake id, some check must fail naming that very mistake (CheckResult.mistake). Besides, each known mistake
must run on every trial (unless it declares `raises:`) and be told from the reference by some check on some trial
(grader.course.audit). With `invert`, only the starter is graded instead, and it must fail every check.

The reference runs once per exercise: every submission of it is graded on the same trials.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Sequence

from ..codes import DIAGNOSES, ERROR_KINDS
from ..config import Settings
from ..errors import ExerciseError, UsageError
from ..exercise import Exercise, did_you_mean, exercise_files, parse_exercise
from ..grade import conclude, expectations, hidden_seeds, prepare
from ..inputs import make_trials
from ..oracle import build_oracle
from ..result import Grade
from ..sandbox.runners import open_spawner
from ..sandbox.spawner import Spawner, warm_autograd, warm_up
from ..source import read_submission
from ..starter import starter_text
from .audit import mistake_problems, starter_problems

HEADER = re.compile(r"^#\s*(expect|check):\s*(.+?)\s*$", re.MULTILINE)
# torch.optim (`from torch import optim`) and torch.func (vmap, grad, jvp): their first call imports torch._dynamo
OPTIMIZERS = re.compile(r"\boptim\b|\btorch\.func\b|\bfunctorch\b|\bvmap\b")
FEW = 2  # checking more exercises than this, warm the optimizers before the fork: one of them likely needs it


@dataclass(frozen=True)
class Line:
    ok: bool
    text: str


@dataclass(frozen=True)
class Expectation:
    """What a known-wrong variant declares: a diagnosis code or error kind, or (mistake=True) a mistake id."""

    diagnosis: str
    check: str | None
    mistake: bool = False


def read_expectation(path: Path, exercise: Exercise | None = None) -> Expectation:
    """The `# expect:` (and optional `# check:`) header of a known-wrong variant; mistake ids need `exercise`."""
    head = path.read_text(encoding="utf-8")[:2000]
    found = dict(HEADER.findall(head))
    code = found.get("expect")
    if code in DIAGNOSES or code in ERROR_KINDS:
        return Expectation(code, found.get("check"))
    mistakes = [m.id for m in exercise.mistakes] if exercise is not None else []
    if code in mistakes:
        return Expectation(code, found.get("check"), mistake=True)
    known = f"{', '.join([*DIAGNOSES, *ERROR_KINDS])}"
    if exercise is not None:
        known += f"; or a mistake of {exercise.id}: {', '.join(mistakes) or '(it declares none)'}"
    raise ExerciseError(f"{path}:1: a known-wrong variant needs a header line '# expect: <diagnosis>' naming a "
                        f"diagnosis code, an error kind or a mistake id; found {code!r}. Known: {known}")


def verdict(grade: Grade, expectation: Expectation) -> str | None:
    """None when the grade fails the way the variant declares; otherwise what went differently."""
    if grade.score >= grade.max_score and grade.error is None:
        return "scored full marks"
    wanted = expectation.diagnosis
    if not expectation.mistake and grade.error is not None and grade.error.kind == wanted and expectation.check is None:
        return None
    for check in grade.checks:
        carried = check.mistake if expectation.mistake else check.diagnosis
        if not check.passed and carried == wanted and expectation.check in (None, check.name):
            return None
    got = sorted({f"{c.name}: {c.diagnosis}" + (f" (mistake {c.mistake})" if c.mistake else "")
                  for c in grade.checks if not c.passed})
    error = f"; error {grade.error.kind}: {grade.error.message}" if grade.error else ""
    what = f"mistake {wanted}" if expectation.mistake else wanted
    return f"expected {what}{' on ' + expectation.check if expectation.check else ''}, got " \
           f"{', '.join(got) or 'no failed check'}{error}"


def select(settings: Settings, ids: Sequence[str]) -> dict[str, Path]:
    """The exercise files of `ids` (all when empty); an unknown id is a usage error naming the closest one."""
    files = exercise_files(settings.exercises_dir)
    for exercise_id in ids:
        if exercise_id not in files:
            hint = did_you_mean(exercise_id, list(files))
            raise UsageError(f"no exercise '{exercise_id}' in {settings.exercises_dir}{hint}; known: "
                             f"{', '.join(files) or 'none'}")
    return {i: p for i, p in files.items() if i in ids} if ids else files


def check_all(settings: Settings, ids: Sequence[str] = (), *, invert: bool = False) -> Iterator[Line]:
    """Check the exercises `ids` (all when empty) in turn, yielding one line per solution, variant and problem."""
    chosen = select(settings, ids)
    every = len(chosen) > FEW
    if every:
        warm_up()
    else:
        warm_autograd()
    with open_spawner(settings.runner, keep_warm=True, full_warm=every) as spawner:  # before any exercise is read, so no child can find a reference in its memory
        launcher = _Launcher(spawner, optimizers=every)
        for exercise_id, path in chosen.items():
            yield from _check_exercise(settings, launcher, exercise_id, path, invert=invert)


class _Launcher:
    """The spawner, warmed for optimizers (and torch.func) once an exercise's files mention them, and only then.

    Their first step imports torch._dynamo (a second or more): paid before the fork when many exercises are checked,
    by the launcher alone on demand when a few are, so that a small exercise without one never pays for it.
    """

    def __init__(self, spawner: Spawner, *, optimizers: bool) -> None:
        self.spawner = spawner
        self.optimizers = optimizers

    def need(self, texts: list[str]) -> None:
        if not self.optimizers and any(OPTIMIZERS.search(text) for text in texts):
            self.spawner.warm_up()
            self.optimizers = True


def _check_exercise(settings: Settings, launcher: _Launcher, exercise_id: str, path: Path, *,
                    invert: bool) -> Iterator[Line]:
    try:
        exercise = parse_exercise(path, settings)
        oracle = build_oracle(exercise)
    except ExerciseError as error:
        yield Line(False, f"{exercise_id}: {error.message}")
        return
    solution = settings.solutions_dir / f"{exercise_id}.py"
    wrong = variants(settings, exercise)
    right = right_answers(settings, exercise)
    launcher.need([p.read_text(encoding="utf-8", errors="replace") for p in (path, solution, *right, *wrong)
                   if p.is_file()])
    count = exercise.hidden_trials if exercise.hidden_trials is not None else settings.hidden_trials
    seeds = hidden_seeds(count)
    trials = make_trials(exercise.public_seeds, seeds)
    try:
        expected = expectations(oracle, trials, settings)
    except ExerciseError as error:
        yield Line(False, f"{exercise_id}: {error.message}")
        return

    def grade(submission: Path) -> Grade:
        pending = prepare(exercise, read_submission(submission), settings, seeds=seeds)
        if isinstance(pending, Grade):
            return pending
        launcher.spawner.start(pending.plan)
        return conclude(pending, launcher.spawner.wait(), oracle, expected)

    if invert:
        yield from _check_starter(exercise, grade)
        return
    for problem in mistake_problems(oracle, trials, expected, settings):
        yield Line(False, f"{exercise_id}: {problem}")
    if not solution.is_file():
        yield Line(False, f"{exercise_id}: no solution at {solution}")
    for answer in ([solution] if solution.is_file() else []) + right:
        yield _full_marks(exercise_id, _shown(answer, settings), grade(answer))
    for variant in wrong:
        try:
            expectation = read_expectation(variant, exercise)
        except ExerciseError as error:
            yield Line(False, error.message)
            continue
        problem = verdict(grade(variant), expectation)
        yield Line(problem is None, f"{exercise_id}: {variant.name} -> "
                   + (expectation.diagnosis if problem is None else problem))


def _full_marks(exercise_id: str, shown: str, result: Grade) -> Line:
    """ok when a correct answer (the solution or one in another style) scores full marks; else what it missed."""
    full = result.status == "passed"
    failed = "; ".join(f"{c.name}: {c.message.splitlines()[0] if c.message else c.diagnosis}"
                       for c in result.checks if not c.passed)
    return Line(full, f"{exercise_id}: {shown} scores {result.score:g}/{result.max_score:g}"
                + ("" if full else f" ({result.error.message if result.error else failed})"))


def _check_starter(exercise: Exercise, grade: Callable[[Path], Grade]) -> Iterator[Line]:
    with tempfile.TemporaryDirectory(prefix="grade-starter-") as folder:
        path = Path(folder) / f"{exercise.id}.py"
        path.write_text(starter_text(exercise), encoding="utf-8")
        result = grade(path)
    problems = starter_problems(result, f"{exercise.path}: starter")
    for problem in problems:
        yield Line(False, f"{exercise.id}: {problem}")
    if not problems:
        yield Line(True, f"{exercise.id}: the starter fails every check ({result.score:g}/{result.max_score:g})")


def _shown(path: Path, settings: Settings) -> str:
    """`path` relative to the course folder where it lies inside it, as an instructor would type it."""
    try:
        return str(path.relative_to(settings.root))
    except ValueError:
        return str(path)


def variants(settings: Settings, exercise: Exercise) -> list[Path]:
    return sorted((settings.solutions_dir / "wrong").glob(f"{exercise.id}_*.py"))


def right_answers(settings: Settings, exercise: Exercise) -> list[Path]:
    """Correct answers in other styles, solutions/right/<id>_<style>.py: each must score full marks like the solution."""
    return sorted((settings.solutions_dir / "right").glob(f"{exercise.id}_*.py"))
