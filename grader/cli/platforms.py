"""Commands that package a course for where students work: a student bundle, GitHub Classroom, Gradescope."""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ..config import course_config, load_settings, outside_package
from ..errors import GraderError
from .app import UserPath, _fail, _settings, config_option, main


def _course(config: Path | None, *starts: Path, writes: str) -> Any:
    """The course a packaging command writes from: --config or the nearest course folder, never the bundled one."""
    return load_settings(course_config(config, *starts, writes=writes))


def torch_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--torch VERSION and --torch-index URL: the CPU torch that the packaged course installs."""
    command = click.option("--torch-index", "torch_index", default=None, metavar="URL",
                           help="Package index for torch (default: PyTorch's CPU-only index; '' for PyPI).")(command)
    return click.option("--torch", "torch_version", default=None, metavar="VERSION",
                        help="torch version to install, 2.2 up to 3.0 (default: the one installed here).")(command)


@main.command("bundle")
@click.argument("exercise_ids", nargs=-1, metavar="[EXERCISE]...")
@click.option("-o", "--output", required=True, type=UserPath(file_okay=False), help="Folder to write.")
@click.option("--force", is_flag=True, help="Write into a folder that is not empty, replacing the bundle's files.")
@torch_options
@config_option
def bundle_command(exercise_ids: tuple[str, ...], output: Path, force: bool, torch_version: str | None,
                   torch_index: str | None, config: Path | None) -> None:
    """Write what students receive: exercises without answers or hidden trials, starters, a README.

    `grade EXERCISE` works in the bundle on the public trials: the reference's values for them are stored there.
    """
    from ..platforms.bundle import write_bundle
    from ..platforms.install import torch_pin

    try:
        settings = _course(config, Path.cwd(), writes="`grade bundle` packages the course found there")
        written = write_bundle(settings, outside_package(output, "the bundle"), exercise_ids=exercise_ids,
                               force=force, torch=torch_pin(torch_version, torch_index))
    except GraderError as error:
        _fail(error)
        return
    click.echo(f"wrote {len(written)} files to {output}: the exercises, their starters (.py and notebooks/), "
               f"README.md, config.yaml and the grader's source; no solutions, no hidden trials")


@main.group("classroom")
def classroom_group() -> None:
    """GitHub Classroom: grade in each student repository with GitHub Actions."""


@classroom_group.command("init")
@click.argument("folder", default=".", type=UserPath(file_okay=False))
@click.option("-e", "--exercise", "exercise_ids", multiple=True, metavar="EXERCISE",
              help="An exercise to grade (repeat the option; default: every exercise of the course in FOLDER).")
@click.option("--grader", "grader_spec", default=None, metavar="REQUIREMENT",
              help="pip requirement for the grader (default: FOLDER/grader-src, which grade bundle writes).")
@click.option("--python", "python_version", default="3.11", show_default=True, help="Python of the runner.")
@click.option("--force", is_flag=True, help="Replace an existing .github/workflows/classroom.yml.")
@torch_options
@config_option
def classroom_init_command(folder: Path, exercise_ids: tuple[str, ...], grader_spec: str | None, python_version: str,
                           force: bool, torch_version: str | None, torch_index: str | None,
                           config: Path | None) -> None:
    """Write FOLDER/.github/workflows/classroom.yml: one grading step per exercise, then the reporter."""
    from ..exercise import exercise_files, load_exercise
    from ..platforms.classroom import write_workflow
    from ..platforms.install import torch_pin

    root = folder
    try:
        outside_package(root, "the workflow")
        settings = _course(config, root, Path.cwd(), writes="`grade classroom init` writes a step for each exercise "
                                                           "of the course found there")
        known = exercise_files(settings.exercises_dir)
        for each in exercise_ids:
            if each not in known:
                load_exercise(settings.exercises_dir, each, settings)  # raises the "did you mean" usage error
        target = write_workflow(root, list(exercise_ids) or list(known), torch=torch_pin(torch_version, torch_index),
                                grader_spec=grader_spec, python_version=python_version, force=force)
    except GraderError as error:
        _fail(error)
        return
    click.echo(f"wrote {target}")
    if not (root / "config.yaml").is_file():
        click.echo(f"note: {root} has no config.yaml, and the workflow runs `grade` there: put the student bundle "
                   f"in it (grade bundle -o {folder} --force)", err=True)


@main.group("gradescope")
def gradescope_group() -> None:
    """Gradescope: build the autograder zip, and grade inside it."""


@gradescope_group.command("build")
@click.argument("exercise_ids", nargs=-1, required=True, metavar="EXERCISE...")
@click.option("-o", "--output", default="autograder.zip", show_default=True, type=UserPath(dir_okay=False))
@torch_options
@config_option
def gradescope_build_command(exercise_ids: tuple[str, ...], output: Path, torch_version: str | None,
                             torch_index: str | None, config: Path | None) -> None:
    """Write the autograder zip for these exercises: setup.sh, run_autograder, the course, the grader."""
    from ..platforms.gradescope import build_zip
    from ..platforms.install import torch_pin

    try:
        settings = _course(config, Path.cwd(), writes="`grade gradescope build` packages the course found there, "
                                                      "hidden trials and all")
        names = build_zip(settings, list(exercise_ids), outside_package(output, "the autograder zip"),
                          torch=torch_pin(torch_version, torch_index))
    except GraderError as error:
        _fail(error)
        return
    click.echo(f"wrote {output} ({len(names)} files): upload it as the assignment's autograder (Ubuntu 22.04 or "
               f"newer; give it 2 GB of memory or more)")


@gradescope_group.command("run")
@click.option("--root", type=UserPath(file_okay=False), default=lambda: os.environ.get("AUTOGRADER_ROOT", "/autograder"),
              show_default="$AUTOGRADER_ROOT or /autograder", help="Holds submission/ and results/.")
@config_option
def gradescope_run_command(root: Path, config: Path | None) -> None:
    """Grade ROOT/submission and write ROOT/results/results.json, whatever happens (what run_autograder calls)."""
    from ..platforms.gradescope import failure_results, run, write_results

    try:
        results = run(root, _settings(config))
    except GraderError as error:
        results = failure_results(error.message)
    except Exception as exc:  # noqa: BLE001 - a crash of the grader must still leave a results.json behind
        traceback.print_exc(file=sys.stdout)  # Gradescope keeps stdout for the instructor
        results = failure_results(f"the grader crashed ({type(exc).__name__}: {exc})")
    path = write_results(root, results)
    click.echo(f"wrote {path}: {results['score']:g} points")
