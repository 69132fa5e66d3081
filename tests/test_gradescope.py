"""grade gradescope build: the zip's layout, and run_autograder in a Gradescope-like folder (FORMATS.md §2)."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import CONFIG, SOLUTIONS

from grader.cli import main
from grader.platforms.gradescope import find_answer

VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}
FORMATS = {"text", "html", "simple_format", "md", "ansi"}
LATE_WRONG = ("import torch\nCALLS = []\n\n\ndef q_backward(a, b):\n    CALLS.append(1)\n"
              "    sign = 1 if len(CALLS) <= 2 else -1\n    Q = 3 * a**3 - sign * b**2\n"
              "    Q.backward(torch.ones_like(Q))\n    return Q\n")  # right on the 2 public trials, wrong after


@pytest.fixture(scope="module")
def autograder_zip(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("gradescope") / "autograder.zip"
    result = CliRunner().invoke(main, ["gradescope", "build", "ex03", "ex05", "-o", str(out), "--torch", "2.13.0",
                                       "--config", str(CONFIG)])
    assert result.exit_code == 0, result.output
    return out


def _layout(tmp_path: Path, autograder_zip: Path, files: dict[str, str]) -> Path:
    """<tmp>/autograder/{source,submission,results}, the zip unpacked into source/ with its file modes."""
    root = tmp_path / "autograder"
    for folder in ("source", "submission", "results"):
        (root / folder).mkdir(parents=True)
    with zipfile.ZipFile(autograder_zip) as archive:
        for info in archive.infolist():
            target = root / "source" / info.filename
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(archive.read(info))
            target.chmod((info.external_attr >> 16) & 0o777)
    for name, text in files.items():
        (root / "submission" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "submission" / name).write_text(text, encoding="utf-8")
    return root


def _run_autograder(root: Path, path: str) -> dict:
    env = {"PATH": path, "AUTOGRADER_ROOT": str(root), "HOME": str(root)}
    done = subprocess.run([str(root / "source" / "run_autograder")], env=env, cwd=root, capture_output=True, check=False,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))


def _assert_results_shape(results: dict) -> None:
    """FORMATS.md §2.2: numbers where numbers go, the enums respected, scores within their maxima."""
    assert isinstance(results["score"], (int, float)) and isinstance(results["output"], str)
    assert results.get("stdout_visibility", "hidden") in VISIBILITY
    assert results.get("output_format", "text") in FORMATS
    for test in results["tests"]:
        assert isinstance(test["name"], str) and test["status"] in ("passed", "failed")
        assert test.get("visibility", "visible") in VISIBILITY and isinstance(test.get("output", ""), str)
        if "max_score" in test:
            assert 0 <= test["score"] <= test["max_score"]
            assert (test["status"] == "passed") == (test["score"] == test["max_score"])
    scored = [t for t in results["tests"] if "max_score" in t]
    assert results["score"] == pytest.approx(sum(t["score"] for t in scored))


def test_zip_layout(autograder_zip):
    with zipfile.ZipFile(autograder_zip) as archive:
        names = archive.namelist()
        modes = {i.filename: i.external_attr >> 16 for i in archive.infolist()}
        setup = archive.read("setup.sh").decode()
        run = archive.read("run_autograder").decode()
    assert {"setup.sh", "run_autograder", "course/config.yaml", "grader-src/pyproject.toml",
            "grader-src/grader/cli/platforms.py"} <= set(names)
    assert sorted(n for n in names if n.startswith("course/exercises/")) == [
        "course/exercises/ex03_q_gradients.yaml", "course/exercises/ex05_fix_accumulation.yaml"]
    assert not any("solutions" in n.split("/") for n in names)
    assert all(modes[n] & stat.S_IXUSR for n in ("setup.sh", "run_autograder"))
    assert run.startswith("#!/usr/bin/env bash\n") and setup.startswith("#!/usr/bin/env bash\n")
    assert "python3 -m pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu\n" in setup
    assert "python3 -m pip install ./grader-src\n" in setup
    for script in (setup, run):
        assert subprocess.run(["bash", "-n"], input=script, text=True, check=False).returncode == 0


def test_the_zip_keeps_hidden_trials_and_references(autograder_zip, tmp_path):
    with zipfile.ZipFile(autograder_zip) as archive:
        exercise = archive.read("course/exercises/ex03_q_gradients.yaml").decode()
        config = archive.read("course/config.yaml").decode()
    assert "reference: |" in exercise and "hidden_trials: 3" in config


def test_run_autograder_grades_right_and_wrong_answers(autograder_zip, tmp_path):
    path = f"{Path(sys.executable).parent}:/usr/bin:/bin"  # this venv's python3 comes first: torch is there
    right = _run_autograder(_layout(tmp_path / "right", autograder_zip, {
        "ex03.py": (SOLUTIONS / "ex03.py").read_text(encoding="utf-8"),
        "answers/ex05.py": (SOLUTIONS / "ex05.py").read_text(encoding="utf-8")}), path)
    _assert_results_shape(right)
    assert right["score"] == 20 and all(t["status"] == "passed" for t in right["tests"])
    assert [t["name"] for t in right["tests"][:3]] == ["ex03: Q", "ex03: a.grad", "ex03: b.grad"]
    assert len(right["extra_data"]["seeds"]["ex03"]["hidden"]) == 3  # hidden trials ran

    wrong = _run_autograder(_layout(tmp_path / "wrong", autograder_zip, {"ex03.py": LATE_WRONG}), path)
    _assert_results_shape(wrong)
    assert wrong["score"] == 3  # a.grad right everywhere; Q and b.grad wrong on hidden trials; ex05 missing
    by_name = {t["name"]: t for t in wrong["tests"]}
    hidden = by_name["ex03: Q"]
    assert "correct on every public trial, wrong on hidden trial" in hidden["output"]
    assert hidden["visibility"] == "visible" and "got [" not in hidden["output"]  # no hidden values shown
    details = by_name["ex03: Q (hidden trial details)"]
    assert details["visibility"] != "visible" and "got [" in details["output"]
    assert "not graded: no ex05.py or ex05.ipynb" in by_name["ex05: w"]["output"]


def test_run_autograder_writes_results_when_python_cannot_start(autograder_zip, tmp_path):
    broken = tmp_path / "bin"
    broken.mkdir()
    (broken / "python3").write_text("#!/bin/sh\nexit 1\n", encoding="utf-8")
    (broken / "python3").chmod(0o755)
    results = _run_autograder(_layout(tmp_path, autograder_zip, {"ex03.py": "x = 1\n"}), f"{broken}:/usr/bin:/bin")
    assert results["score"] == 0 and results["tests"] == []
    assert "failed before it could grade" in results["output"] and "not a grade of your code" in results["output"]


def test_run_command_writes_results_when_grading_fails(tmp_path):
    result = CliRunner().invoke(main, ["gradescope", "run", "--root", str(tmp_path), "--config", str(CONFIG)])
    assert result.exit_code == 0
    results = json.loads((tmp_path / "results" / "results.json").read_text(encoding="utf-8"))
    assert results["score"] == 0 and "submission does not exist" in results["output"]


def test_find_answer(tmp_path):
    (tmp_path / "nested").mkdir()
    (tmp_path / "nested" / "ex03.ipynb").write_text("{}", encoding="utf-8")
    (tmp_path / "__MACOSX").mkdir()
    (tmp_path / "__MACOSX" / "ex05.py").write_text("", encoding="utf-8")
    assert find_answer(tmp_path, "ex03") == (tmp_path / "nested" / "ex03.ipynb", "")
    assert find_answer(tmp_path, "ex05")[0] == tmp_path / "nested" / "ex03.ipynb"  # the only code file
    assert find_answer(tmp_path, "ex05", other_ids=["ex03"])[0] is None  # ... but it answers ex03
    (tmp_path / "other.py").write_text("", encoding="utf-8")
    path, why = find_answer(tmp_path, "ex05")
    assert path is None and "nested/ex03.ipynb, other.py" in why and "name your answer ex05.py" in why

