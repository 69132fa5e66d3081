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
