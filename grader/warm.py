"""Grade one student's saves again and again: a warm launcher kept, the reference computed once per course version.

`grade ex03 --watch` grades every save of a file. What does not depend on the submission is done once: torch is
imported, the launcher is forked and warmed, the exercise is loaded, and the reference's values on the session's
trials are computed; they are done again only when the exercise file, the course's fixtures.py, its config.yaml
or a bundle's stored values change (their bytes, hashed before each grade). The hidden seeds are drawn once per
session, so the expected values stay valid and a student sees the same trials from one save to the next.
"""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from .config import CONFIG_NAME, Settings
from .exercise import Exercise, exercise_files, load_exercise
from .grade import conclude, expectations, prepare
from .result import Grade
from .saves import files_key
from .source import Submission


@dataclass(frozen=True)
class Reference:
    """One exercise as this session grades it: loaded, with its trials' seeds; its expected values come later."""

    exercise: Exercise
    settings: Settings
    seeds: tuple[int, ...]
    key: str  # the hash of the course files it was read from


class WarmGrader:
    """A launcher kept warm between grades (replaced when a submission kills it) and each exercise's reference."""

    def __init__(self, zygote: Any, *, settings: Callable[[], Settings], config: Path | None,
                 stored: Callable[[Exercise], Any], seed_base: int, hidden: int | None) -> None:
        """`zygote` (grader.sandbox.pool.Zygote) must have been forked before any exercise was read.

        `settings` reads the course's settings (called again when config.yaml changes); `stored` gives a student
        bundle's stored oracle for an exercise that has no reference code.
        """
        self._zygote, self._load_settings, self._stored = zygote, settings, stored
        self._config, self._seed_base, self._hidden = config, seed_base, hidden
        self._spawner = zygote.spawner()
        self._warm = False
        self._settings: Settings | None = None
        self._settings_key = ""
        self._references: dict[str, Reference] = {}
        self._oracles: dict[str, tuple[str, Any, list]] = {}  # exercise id -> (key, oracle, expected values)
        self.replaced = 0  # launchers replaced after a submission killed or hung one

    @property
    def settings(self) -> Settings:
        """The course's settings, read again when config.yaml has changed since they were read."""
        if self._settings is None or self._config_key() != self._settings_key:
            self._settings = self._load_settings()
            self._settings_key = self._config_key()
        return self._settings

    def _config_key(self) -> str:
        config = self._config_path()
        return files_key((config,)) if config is not None else ""

    def _config_path(self) -> Path | None:
        if self._config is not None:
            return self._config
        if self._settings is None:
            return None
        candidate = self._settings.root / CONFIG_NAME
        return candidate if candidate.is_file() else None

    def course_files(self, exercise_id: str) -> tuple[Path, ...]:
        """The files the exercise's grades depend on besides the submission: a change to one means reloading."""
        settings = self.settings
        config = self._config_path()
        path = exercise_files(settings.exercises_dir).get(exercise_id)
        found = [p for p in (config, path, settings.fixtures) if p is not None]
        reference = self._references.get(exercise_id)
        if reference is not None and reference.exercise.expected is not None:
            found.append(reference.exercise.expected)
        return tuple(found)

    def reference(self, exercise_id: str) -> Reference:
        """The exercise as it is now on disk: loaded again only when one of its course files changed."""
        key = files_key(self.course_files(exercise_id))
        known = self._references.get(exercise_id)
        if known is not None and known.key == key:
            return known
        settings = self.settings
        exercise = load_exercise(settings.exercises_dir, exercise_id, settings)
        count = self._hidden if self._hidden is not None else (
            exercise.hidden_trials if exercise.hidden_trials is not None else settings.hidden_trials)
        seeds = tuple(self._seed_base + i for i in range(count))
        self._references[exercise_id] = Reference(exercise, settings, seeds, key)
        if exercise.expected is not None:  # a bundle's stored values: known only now, and part of the key
            self._references[exercise_id] = Reference(exercise, settings, seeds,
                                                      files_key(self.course_files(exercise_id)))
        return self._references[exercise_id]

    def expected(self, reference: Reference, trials: tuple) -> tuple[Any, list]:
        """The reference's oracle and values on the session's trials, computed once per version of the course."""
        exercise = reference.exercise
        known = self._oracles.get(exercise.id)
        if known is not None and known[0] == reference.key:
            return known[1], known[2]
        from .oracle import build_oracle

        oracle = self._stored(exercise) if exercise.expected is not None else build_oracle(exercise)
        expected = expectations(oracle, trials, reference.settings)
        self._oracles[exercise.id] = (reference.key, oracle, expected)
        return oracle, expected

    def grade(self, exercise_id: str, submission: Submission) -> Grade:
        """Grade the submission on the session's launcher; the reference's values are computed while it runs."""
        reference = self.reference(exercise_id)
        pending = prepare(reference.exercise, submission, reference.settings, seeds=reference.seeds)
        if isinstance(pending, Grade):
            return pending
        if not _alive(self._spawner.pid):  # killed while idle (by a past submission's stray, or the OOM killer)
            self._replace()
        self._spawner.start(pending.plan)
        if not self._warm:  # after this first run: later children start with autograd (and optimizers) imported
            self._spawner.warm_up()
            self._warm = True
        try:
            oracle, expected = self.expected(reference, pending.trials)
        finally:
            raw = self._spawner.wait()
            if raw.lost is not None:
                self._replace()
        return conclude(pending, raw, oracle, expected)

    def _replace(self) -> None:
        """Put a fresh launcher, forked by the zygote, in place of one a submission killed or hung."""
        try:
            os.kill(self._spawner.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self._spawner.close()
        self._spawner = self._zygote.spawner()
        self._warm = False
        self.replaced += 1

    def close(self) -> None:
        """Stop the launcher and everything it started at once (Ctrl-C: a run in progress is abandoned)."""
        pid = self._spawner.pid
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self._spawner.close()
        for _ in range(200):  # the zygote's child: gone once the kernel has torn it down, a few ms
            if not _alive(pid):
                break
            time.sleep(0.01)


def _alive(pid: int) -> bool:
    """Whether the process exists (a launcher is the zygote's child, reaped by the kernel as soon as it dies)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
