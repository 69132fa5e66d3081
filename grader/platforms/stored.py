"""The oracle of a student bundle: the reference's and known mistakes' values on the public trials, stored as data.

A bundle ships no reference code, so `grade bundle` runs the oracle once, on the instructor's machine, and writes what
it produced for each public seed (grader.oracle.Expected, which is plain data once encoded) beside the exercise.
Grading in the bundle then reads those values instead of running any reference.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ExerciseError, UsageError
from ..exercise import Exercise
from ..inputs import Trial, make_trials

SCHEMA = 1


@dataclass(frozen=True)
class StoredOracle:
    """Expected values per public seed, read from the exercise's `expected` file."""

    exercise: Exercise
    path: Path
    by_seed: dict
    handin_trials: int = 0  # how many trials hand-in grading runs within the same time limit (0: not recorded)

    def expect(self, trial: Trial) -> Any:
        """The stored expectations of one public trial; a hidden seed needs the reference, so it is a usage error."""
        from ..oracle import Expected

        exercise = self.exercise
        stored = self.by_seed.get(trial.seed)
        if stored is None or trial.hidden:
            seeds = ", ".join(str(s) for s in self.by_seed)
            raise UsageError(f"{exercise.id}: {trial.label} cannot be graded here: {self.path} holds the reference's "
                             f"values for the public seeds {seeds} only; hidden trials run only where the "
                             f"instructor's course folder is (drop --hidden and --seed, and keep the exercise's "
                             f"public seeds as shipped)")
        return Expected(trial=trial, before=stored["before"], reference=stored["reference"],
                        mistakes=stored["mistakes"])


def stored_data(exercise: Exercise, oracle: Any, *, max_elements: int, timeout_s: float,
                handin_trials: int = 0) -> dict:
    """Run the oracle on every public trial and return its values as JSON-ready data for the bundle."""
    from ..oracle import expect

    trials = []
    for trial in make_trials(exercise.public_seeds, ()):
        expected = expect(oracle, trial, max_elements=max_elements, timeout_s=timeout_s)
        trials.append({"seed": trial.seed, "before": expected.before, "reference": expected.reference,
                       "mistakes": expected.mistakes})
    return {"schema": SCHEMA, "exercise": exercise.id, "version": exercise.version, "trials": trials,
            "handin_trials": handin_trials}


def load_stored(exercise: Exercise) -> StoredOracle:
    """Read and validate the exercise's stored expectations; a mismatch names the file and says to rebuild."""
    path = exercise.expected or exercise.path.with_suffix(".expected.json")
    rebuild = "rebuild the student bundle with 'grade bundle' from the instructor's course"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ExerciseError(f"{path}: cannot read: {exc.strerror or exc}; {rebuild}") from None
    except (UnicodeDecodeError, ValueError) as exc:
        line = getattr(exc, "lineno", 1)
        raise ExerciseError(f"{path}:{line}: not the JSON 'grade bundle' writes ({exc}); {rebuild}") from None

    def fail(why: str) -> ExerciseError:
        return ExerciseError(f"{path}:1: {why}; {rebuild}")

    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise fail(f"expected stored expectations of schema {SCHEMA}")
    if data.get("exercise") != exercise.id or data.get("version") != exercise.version:
        raise fail(f"these values are for {data.get('exercise')} version {data.get('version')}, but "
                   f"{exercise.path.name} is {exercise.id} version {exercise.version}")
    mistake_ids = {m.id for m in exercise.mistakes}
    by_seed: dict = {}
    for entry in data.get("trials") or []:
        ok = isinstance(entry, dict) and isinstance(entry.get("seed"), int) and isinstance(entry.get("before"), dict) \
            and isinstance(entry.get("reference"), dict) and isinstance(entry.get("mistakes"), dict)
        if not ok:
            raise fail("a trial needs seed, before, reference and mistakes")
        if set(entry["mistakes"]) != mistake_ids:
            raise fail(f"the known mistakes stored ({', '.join(sorted(entry['mistakes'])) or 'none'}) differ from "
                       f"the exercise's ({', '.join(sorted(mistake_ids)) or 'none'})")
        by_seed[entry["seed"]] = entry
    missing = [s for s in exercise.public_seeds if s not in by_seed]
    if missing:
        raise fail(f"no values for the public seed(s) {', '.join(map(str, missing))}")
    handin = data.get("handin_trials", 0)  # absent from bundles built before it was recorded
    if not isinstance(handin, int) or isinstance(handin, bool) or handin < 0:
        raise fail(f"handin_trials must be a whole number of trials, 0 or more; found {handin!r}")
    return StoredOracle(exercise=exercise, path=path, by_seed=by_seed, handin_trials=handin)
