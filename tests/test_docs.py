"""The documented vocabulary matches the code: README and docs/diagnoses.md name every diagnosis and error kind."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.codes import DIAGNOSES, ERROR_KINDS

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("doc", ["README.md", "docs/diagnoses.md"])
def test_every_code_is_documented(doc):
    text = (ROOT / doc).read_text(encoding="utf-8")
    missing = [code for code in {**DIAGNOSES, **ERROR_KINDS} if f"`{code}`" not in text]
    assert missing == []


def test_readme_test_command_is_the_one_ci_runs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    command = ci.strip().splitlines()[-1]
    assert command == "python -m pytest"
    assert f"\n{command}\n" in readme


def test_the_exercise_format_tables_are_generated_from_the_schema():
    """docs/exercise-format.md's tables say exactly what grader/schema.py (and so the parser) knows."""
    import runpy

    generator = runpy.run_path(str(ROOT / "docs" / "gen_format.py"))
    page = (ROOT / "docs" / "exercise-format.md").read_text(encoding="utf-8")
    assert generator["render"](page) == page, "run: python docs/gen_format.py"


def test_the_parser_reads_the_kinds_the_schema_documents():
    from grader import exercise, inputspec, schema

    assert exercise.CHECK_KINDS == schema.names(schema.CHECK_KINDS)
    assert inputspec.INPUT_KINDS == schema.names(schema.INPUT_KINDS)
    assert set(exercise.MEASURED) <= set(exercise.CHECK_KINDS)
