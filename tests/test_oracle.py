"""The reference and the known mistakes run in the grading process, so each runs against a deadline."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from conftest import REPO, SOLUTIONS, SPAWNER

from grader.config import load_settings
from grader.errors import ExerciseError
from grader.exercise import parse_exercise
from grader.grade import grade_submission
from grader.inputs import make_trials
from grader.oracle import build_oracle, expect
from grader.source import read_submission

EX03 = (REPO / "exercises" / "ex03_q_gradients.yaml").read_text(encoding="utf-8")
REFERENCE = "      Q = 3 * a**3 - b**2\n"  # the reference's first line; the mistakes compute Q otherwise
PLUS_B = "          Q = 3 * a**3 + b**2\n"  # the first line of the known mistake 'plus-b-squared'


def _exercise(tmp_path: Path, before: str) -> tuple[Path, int]:
    """ex03 with an endless loop put before the line `before` (once): the file, and the line of the loop."""
    assert EX03.count(before) == 1
    indent = before[:len(before) - len(before.lstrip())]
    loop = f"{indent}while True:\n{indent}    a = a * 1.0\n"
    path = tmp_path / "ex03_q_gradients.yaml"
    text = EX03.replace(before, loop + before)
    path.write_text(text, encoding="utf-8")
    return path, text[:text.index(loop)].count("\n") + 1


def test_a_reference_that_never_ends_is_the_instructors_error_with_file_and_line(tmp_path):
    """BUG (no deadline): the reference ran in the grading process for as long as it liked, here for ever."""
    path, line = _exercise(tmp_path, REFERENCE)
    oracle = build_oracle(parse_exercise(path))
    trial = make_trials((5,), ())[0]
    started = time.monotonic()
    with pytest.raises(ExerciseError) as caught:
        expect(oracle, trial, max_elements=1000, timeout_s=0.5)
    assert time.monotonic() - started < 3
    message = caught.value.message
    assert message.startswith(f"{path}:"), message
    assert int(message[len(f"{path}:"):].split(":")[0]) in (line, line + 1)  # the loop's `while` or its body
    assert "the reference ran longer than 0.5 s on public trial 1 (seed 5)" in message
    assert "raise sandbox.timeout_s in config.yaml" in message


def test_the_deadline_holds_off_the_main_thread(tmp_path):
    path, _ = _exercise(tmp_path, REFERENCE)
    oracle = build_oracle(parse_exercise(path))
    raised: list[BaseException] = []

    def run() -> None:
        try:
            expect(oracle, make_trials((5,), ())[0], max_elements=1000, timeout_s=0.5)
        except BaseException as exc:  # noqa: BLE001 - looked at below
            raised.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    worker.join(10)
    assert not worker.is_alive()
    assert len(raised) == 1 and isinstance(raised[0], ExerciseError) and "ran longer than 0.5 s" in raised[0].message


def test_a_known_mistake_that_never_ends_never_matches_and_grading_finishes(tmp_path):
    """BUG (no deadline): one endless known mistake stopped every grade of the exercise for ever."""
    path, _ = _exercise(tmp_path, PLUS_B)
    exercise = parse_exercise(path)
    line = next(m.code.line for m in exercise.mistakes if m.id == "plus-b-squared")
    settings = load_settings(REPO / "config.yaml").with_overrides(timeout_s=2.0)
    wrong = tmp_path / "ex03.py"  # Q = 3a³ + b²: what 'plus-b-squared' would name, were it compared
    wrong.write_text((SOLUTIONS / "ex03.py").read_text().replace("- b**2", "+ b**2"), encoding="utf-8")
    started = time.monotonic()
    grade = grade_submission(exercise, read_submission(wrong), settings, spawner=SPAWNER, seeds=(),
                             oracle=build_oracle(exercise))
    assert time.monotonic() - started < 2 * 2.0 + 3  # two public trials, the mistake cut at 2 s on each
    assert grade.error is None and grade.score == 3, grade
    assert all(c.mistake is None for c in grade.checks)  # the mistake never matches
    assert grade.notes[0] == (f"{path}:{line}: the known mistake 'plus-b-squared' ran longer than 2 s, so it "
                              f"was not compared (an error in the exercise, not in this submission)")
    assert sum(note.startswith(str(path)) for note in grade.notes) == 1  # once, not once per trial
