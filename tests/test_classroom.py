"""grade classroom init: the workflow obeys FORMATS.md §1.2, and a step's output decodes as the reporter decodes it."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from conftest import CONFIG, SOLUTIONS

from grader.platforms.bundle import write_bundle
from grader.platforms.classroom import REPORTER, results_env, workflow
from grader.cli import main
from grader.config import load_settings
from grader.exercise import exercise_files
from grader.platforms.install import torch_pin

IDS = list(exercise_files(load_settings(CONFIG).exercises_dir))
STEP_ID = re.compile(r"^[_a-zA-Z][a-zA-Z0-9_-]*$")
SPEC = "autograd-grader @ git+https://github.com/example/autograd-grader@v0.1.0"


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """A template repository: the student bundle of ex01 and ex03, with the workflow written into it."""
    folder = tmp_path_factory.mktemp("template") / "repo"
    write_bundle(load_settings(CONFIG), folder, exercise_ids=["ex01", "ex03"], torch=torch_pin("2.13.0", None))
    result = CliRunner().invoke(main, ["classroom", "init", str(folder)])
    assert result.exit_code == 0, result.output
    return folder


def _load(folder: Path) -> dict:
    return yaml.safe_load((folder / ".github" / "workflows" / "classroom.yml").read_text(encoding="utf-8"))


def _assert_reporter_rules(data: dict, ids: list[str]) -> None:
    """Every structural rule of FORMATS.md §1.2.1, §1.2.7 and §1.2.9 the reporter and Classroom depend on."""
    assert set(data["on"]) >= {"push", "repository_dispatch"}  # quoted 'on', so PyYAML keeps it a string
    job = data["jobs"]["run-autograding-tests"]
    assert job["runs-on"] == "ubuntu-latest" and job["if"] == "github.actor != 'github-classroom[bot]'"
    steps = job["steps"]
    assert steps[0]["uses"] == "actions/checkout@v4"
    python = next(s for s in steps if s.get("uses", "").startswith("actions/setup-python@"))
    assert python["with"]["python-version"] == "3.11"  # a string: 3.10 as a number would be 3.1
    install = next(s for s in steps if s.get("id") == "install")
    assert "torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu" in install["run"]
    graded = [s for s in steps if s.get("id") in ids]
    assert [s["id"] for s in graded] == ids and all(STEP_ID.match(i) for i in ids)
    for step in graded:
        assert step["run"] == f"grade {step['id']} --format classroom" and step["name"] == step["id"]
        assert "always()" in step["if"] or step.get("continue-on-error") is True
    reporter = steps[-1]
    assert reporter["uses"] == REPORTER and reporter["if"] == "always()"
    assert reporter["with"]["runners"] == ",".join(ids)
    assert reporter["env"] == {f"{i.upper()}_RESULTS": f"${{{{steps.{i}.outputs.result}}}}" for i in ids}
    assert steps.index(reporter) > max(steps.index(s) for s in graded)


def test_workflow_follows_the_reporter_protocol(template):
    data = _load(template)
    _assert_reporter_rules(data, ["ex01", "ex03"])
    install = next(s for s in data["jobs"]["run-autograding-tests"]["steps"] if s.get("id") == "install")
    assert "python -m pip install ./grader-src" in install["run"]
    assert (template / "grader-src" / "pyproject.toml").is_file()


def test_hyphens_are_kept_in_the_results_variable():
    assert results_env("a-command-test") == "A-COMMAND-TEST_RESULTS"
    data = workflow(["my-ex", "_x2"], install=["true"])
    reporter = data["jobs"]["run-autograding-tests"]["steps"][-1]
    assert reporter["env"] == {"MY-EX_RESULTS": "${{steps.my-ex.outputs.result}}",
                               "_X2_RESULTS": "${{steps._x2.outputs.result}}"}


def test_options_force_exercises_and_grader_spec(tmp_path):
    runner = CliRunner()
    no_grader = runner.invoke(main, ["classroom", "init", str(tmp_path), "--config", str(CONFIG)])
    assert no_grader.exit_code == 2 and "grade bundle -o" in no_grader.stderr and "--grader" in no_grader.stderr
    args = ["classroom", "init", str(tmp_path), "--config", str(CONFIG), "--grader", SPEC]
    first = runner.invoke(main, args)
    assert first.exit_code == 0, first.output
    assert "has no config.yaml" in first.stderr  # a warning: the template needs the student bundle too
    data = _load(tmp_path)
    _assert_reporter_rules(data, IDS)  # every exercise by default
    install = next(s for s in data["jobs"]["run-autograding-tests"]["steps"] if s.get("id") == "install")
    assert f"python -m pip install '{SPEC}'" in install["run"]
    again = runner.invoke(main, args + ["-e", "ex03"])
    assert again.exit_code == 2 and "already exists" in again.stderr and "--force" in again.stderr
    forced = runner.invoke(main, args + ["-e", "ex03", "-e", "ex01", "--force", "--torch", "2.4.1"])
    assert forced.exit_code == 0, forced.output
    steps = _load(tmp_path)["jobs"]["run-autograding-tests"]["steps"]
    assert [s["id"] for s in steps if s.get("id", "").startswith("ex")] == ["ex03", "ex01"]
    assert "torch==2.4.1 --index-url" in steps[2]["run"]
    unknown = runner.invoke(main, args + ["-e", "exo3", "--force"])
    assert unknown.exit_code == 2 and "did you mean ex03" in unknown.stderr


def test_step_output_decodes_as_the_reporter_decodes_it(template, tmp_path, monkeypatch):
    """Run each step's command as Actions would, then read `result=` from $GITHUB_OUTPUT: base64 -> JSON -> fields."""
    monkeypatch.chdir(template)
    (template / "ex03.py").write_text((SOLUTIONS / "wrong" / "ex03_sign.py").read_text(encoding="utf-8"),
                                      encoding="utf-8")
    steps = [s for s in _load(template)["jobs"]["run-autograding-tests"]["steps"] if s.get("id") in ("ex01", "ex03")]
    outputs = {}
    for step in steps:
        output = tmp_path / f"{step['id']}.output"
        monkeypatch.setenv("GITHUB_OUTPUT", str(output))
        monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / f"{step['id']}.summary"))
        result = CliRunner().invoke(main, step["run"].split()[1:] + ["--timeout", "5"])
        assert result.exit_code == 0, result.output  # graded: a lost point is no failed step
        lines = [line for line in output.read_text(encoding="utf-8").splitlines() if line.startswith("result=")]
        assert len(lines) == 1
        outputs[step["id"]] = json.loads(base64.b64decode(lines[0][len("result="):], validate=True).decode("utf-8"))
    for payload in outputs.values():
        assert payload["status"] in ("pass", "fail", "error") and isinstance(payload["tests"], list)
        assert payload["tests"] and "max_score" in payload
        for test in payload["tests"]:
            assert {"name", "status", "score", "line_no"} <= set(test) and isinstance(test["line_no"], int)
    ex03 = outputs["ex03"]
    assert ex03["status"] == "fail" and ex03["max_score"] == 10
    assert sum(t["score"] for t in ex03["tests"]) == 3  # what Classroom records: Σ tests[].score
    ex01 = outputs["ex01"]  # ex01.py is the untouched starter: graded, every check lost
    assert ex01["max_score"] > 0 and sum(t["score"] for t in ex01["tests"]) == 0
