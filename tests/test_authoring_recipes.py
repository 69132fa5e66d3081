"""docs/authoring.md's recipes are a course of their own: every file they show, written out, passes check-exercises.

A recipe that stops working (a key renamed, a check kind changed) fails here, not in an instructor's hands.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "authoring.md"
SHOWN = re.compile(r"^`([\w./]+)`:\n\n```(?:yaml|python)\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def recipe_files() -> dict[str, str]:
    """Every file the page shows under its path, in the order shown."""
    return {path: text for path, text in SHOWN.findall(PAGE.read_text(encoding="utf-8"))}


def test_the_page_shows_an_exercise_a_solution_and_a_wrong_variant_for_each_recipe():
    files = recipe_files()
    exercises = sorted(p.split("/")[1].split("_")[0] for p in files if p.startswith("exercises/"))
    assert len(exercises) >= 6, exercises
    for exercise_id in exercises:
        assert f"solutions/{exercise_id}.py" in files
        assert any(p.startswith(f"solutions/wrong/{exercise_id}_") for p in files), exercise_id


def test_the_recipes_pass_check_exercises(tmp_path):
    (tmp_path / "config.yaml").write_text("schema: 1\nexercises_dir: exercises\nsolutions_dir: solutions\n"
                                          "hidden_trials: 1\n", encoding="utf-8")
    for path, text in recipe_files().items():
        target = tmp_path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "grader", "check-exercises"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "FAIL" not in done.stdout
    assert done.stdout.count("  ok  ") >= 12, done.stdout
