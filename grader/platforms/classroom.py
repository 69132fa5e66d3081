"""GitHub Classroom: the autograding workflow of a template repository, one grading step per exercise.

Each step runs `grade EXERCISE --format classroom`, which publishes the runner payload (step output `result`) and
exits 0 when the student merely lost points; the reporter then sums every payload's scores into the Classroom grade.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from pathlib import Path

from ..errors import UsageError
from .install import SOURCE_DIR, TorchPin

WORKFLOW = Path(".github") / "workflows" / "classroom.yml"
STEP_ID = re.compile(r"^[_a-zA-Z][a-zA-Z0-9_-]*$")  # GitHub's rule for step ids, which the reporter's env names use
REPORTER = "classroom-resources/autograding-grading-reporter@v1"
STEP_TIMEOUT_MIN = 10


def install_lines(torch: TorchPin, grader_spec: str | None) -> list[str]:
    """The shell lines that install a CPU torch, then the grader (from a pip requirement, or ./grader-src)."""
    grader = shlex.quote(grader_spec) if grader_spec else f"./{SOURCE_DIR}"
    return ["python -m pip install --upgrade pip",
            f"python -m pip install {torch.pip_args}",
            f"python -m pip install {grader}"]


def results_env(step_id: str) -> str:
    """The variable the reporter reads a runner's payload from: the id upper-cased, hyphens kept."""
    return f"{step_id.strip().upper()}_RESULTS"


def workflow(exercise_ids: Sequence[str], *, install: Sequence[str], python_version: str = "3.11") -> dict:
    """The workflow as data: checkout, Python, install, one step per exercise, then the reporter."""
    for each in exercise_ids:
        if not STEP_ID.match(each):
            raise UsageError(f"'{each}' cannot be a workflow step id (it must match {STEP_ID.pattern})")
    if not exercise_ids:
        raise UsageError("no exercises to grade: name some with --exercise, or add exercises to the course")
    # A grading step runs whenever the grader installed, even after another exercise's step failed outright.
    graded = "always() && steps.install.outcome == 'success'"
    steps: list[dict] = [
        {"name": "Checkout code", "uses": "actions/checkout@v4"},
        {"name": "Set up Python", "uses": "actions/setup-python@v5", "with": {"python-version": python_version}},
        {"name": "Install the grader", "id": "install", "run": "\n".join(install) + "\n"},
    ]
    steps += [{"name": each, "id": each, "if": graded, "timeout-minutes": STEP_TIMEOUT_MIN,
               "run": f"grade {each} --format classroom"} for each in exercise_ids]
    steps.append({"name": "Autograding Reporter", "if": "always()", "uses": REPORTER,
                  "env": {results_env(each): f"${{{{steps.{each}.outputs.result}}}}" for each in exercise_ids},
                  "with": {"runners": ",".join(exercise_ids)}})
    return {
        "name": "Autograding Tests",
        "on": ["push", "repository_dispatch", "workflow_dispatch"],
        "permissions": {"checks": "write", "actions": "read", "contents": "read"},
        "jobs": {"run-autograding-tests": {"runs-on": "ubuntu-latest",
                                           "if": "github.actor != 'github-classroom[bot]'",
                                           "steps": steps}},
    }


def workflow_text(data: dict) -> str:
    """The workflow file's text: a header that says where it came from, then the YAML."""
    from .bundle import dump_yaml

    return ("# Written by `grade classroom init`: grades each exercise with `grade EXERCISE --format classroom`;\n"
            "# the reporter turns the step outputs into the Classroom grade. Rerun the command to change it.\n"
            + dump_yaml(data, flow_leaves=False))


def write_workflow(folder: Path, exercise_ids: Sequence[str], *, torch: TorchPin, grader_spec: str | None,
                   python_version: str = "3.11", force: bool = False) -> Path:
    """Write FOLDER/.github/workflows/classroom.yml; refuse to replace one unless `force`."""
    target = folder / WORKFLOW
    if target.exists() and not force:
        raise UsageError(f"{target} already exists; add --force to replace it")
    if grader_spec is None and not (folder / SOURCE_DIR / "pyproject.toml").is_file():
        raise UsageError(f"{folder / SOURCE_DIR} does not exist, so the workflow has no grader to install: write the "
                         f"student bundle there first (grade bundle -o {folder}), or name a pip requirement "
                         f"with --grader 'autograd-grader @ git+https://github.com/ORG/REPO@TAG'")
    data = workflow(exercise_ids, install=install_lines(torch, grader_spec), python_version=python_version)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(workflow_text(data), encoding="utf-8")
    return target
