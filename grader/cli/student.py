"""Commands for students: grade a file, list and show exercises, write a starter."""

from __future__ import annotations

import datetime
import gc
import json
import os
import sys
from pathlib import Path

import click

from ..errors import GraderError
from .app import UserPath, _fail, _settings, config_option, main
from .locate import SUFFIXES, choose_submission, exercise_of, other_format

FORMATS = ("text", "json", "classroom", "gradescope", "junit")
SCORE_CARRYING = ("classroom", "gradescope")  # the score travels in the document: exit 0 when grading worked


@main.command("run")
@click.argument("exercise_id", metavar="EXERCISE")
@click.argument("submission", required=False, type=UserPath(dir_okay=False))
@click.option("--format", "output_format", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option("--seed", type=int, default=None, help="First hidden-trial seed, to reproduce a report.")
@click.option("--hidden", type=click.IntRange(min=0), default=None, help="How many hidden trials to run.")
@click.option("--timeout", "timeout_s", type=click.FloatRange(min=0.1), default=None, help="Seconds allowed.")
@click.option("--memory", "memory_mb", type=click.IntRange(min=16), default=None, help="Megabytes allowed.")
@click.option("--color/--no-color", default=None, help="Colour the report (default: when printing to a terminal).")
@click.option("--verbose", is_flag=True, help="Also show the sandbox's isolation level (JSON always has it).")
@click.option("--watch", is_flag=True, help="Grade again on every save of the file, printing each report; the "
                                             "grader stays warm between saves. Ctrl-C stops it.")
@config_option
def run_command(exercise_id: str, submission: Path | None, output_format: str, seed: int | None,
                hidden: int | None, timeout_s: float | None, memory_mb: int | None, color: bool | None,
                config: Path | None, verbose: bool = False, watch: bool = False) -> None:
    """Grade SUBMISSION (default: ./EXERCISE.py or ./EXERCISE.ipynb) against EXERCISE.

    EXERCISE `all` grades every exercise the file answers (a notebook may answer several), with one total.
    """
    gc.disable()  # a one-shot process: skipping collection during torch's import saves ~0.1 s; the child re-enables it
    from ..errors import UsageError
    from ..exercise import exercise_files, load_exercise
    from ..grade import grade_submission, hidden_seeds
    from ..platforms.stored import load_stored
    from ..source import read_submission

    try:
        if submission is None and Path(exercise_id).suffix.lower() in SUFFIXES:  # grade ex03.py: ex03, that file
            submission = Path(exercise_id).expanduser()
            exercise_id = exercise_of(submission.name) or ""
            if not exercise_id:
                raise UsageError(f"which exercise does {submission.name} answer? Name it first: "
                                 f"grade ex03 {submission}")
        settings = _settings(config, timeout_s=timeout_s, memory_mb=memory_mb)
        every = exercise_id == "all"
        if every and not submission:
            raise UsageError("grade all needs the file to grade: grade all homework.ipynb")
        ids = list(exercise_files(settings.exercises_dir)) if every else [exercise_id]
        if not every and exercise_id not in exercise_files(settings.exercises_dir):
            load_exercise(settings.exercises_dir, exercise_id, settings)  # raises the "did you mean" usage error
        if watch:
            from .watch import watch_submission

            watch_submission(ids, submission, every=every, settings=settings, config=config, seed=seed,
                             hidden=hidden, color=color, verbose=verbose, output_format=output_format,
                             reload=lambda: _settings(config, timeout_s=timeout_s, memory_mb=memory_mb))
            return
        import torch  # noqa: F401 - imported once, before the fork, so the launcher and its children share it

        from ..sandbox.runners import open_spawner

        # The launcher is forked before any exercise is read: no child can find a reference in its memory.
        # It is not warmed up: its child imports what autograd needs while this process computes the oracle.
        grades = []
        with open_spawner(settings.runner, keep_warm=len(ids) > 1) as spawner:
            for each in ids:
                exercise = load_exercise(settings.exercises_dir, each, settings)
                path, note = (submission, "") if submission else choose_submission(exercise.id, Path.cwd())
                if note:
                    click.echo(note, err=True)
                source = read_submission(path)
                count = hidden if hidden is not None else (
                    exercise.hidden_trials if exercise.hidden_trials is not None else settings.hidden_trials)
                stored = load_stored(exercise) if exercise.expected is not None else None  # in a student bundle
                grade = grade_submission(exercise, source, settings, seeds=hidden_seeds(count, seed), spawner=spawner,
                                         oracle=stored)
                if not every or not (grade.error is not None and grade.error.kind == "missing"):
                    grades.append(grade)
        if not grades:
            raise UsageError(f"{submission} answers none of the exercises: it defines none of their functions "
                             f"and holds none of their notebook variables")
    except GraderError as error:
        if output_format == "classroom":
            from ..exports import encode, error_payload

            unwritten = _publish_classroom(encode(error_payload(error.message, test_code=f"grade {exercise_id}")),
                                           summary=None)
            if unwritten is not None:
                click.echo(f"error: {unwritten.message}", err=True)
        _fail(error)
        return
    _print(grades, every=every, output_format=output_format, colour=sys.stdout.isatty() if color is None else color,
           verbose=verbose)
    sys.exit(0 if output_format in SCORE_CARRYING or all(g.status == "passed" for g in grades) else 1)


def _publish_classroom(result: str, *, summary: str | None) -> GraderError | None:
    """Print the runner result as stdout's last line; append it (and the summary) where GitHub Actions reads them.

    GitHub names the files in GITHUB_OUTPUT and GITHUB_STEP_SUMMARY; returns the error when one cannot be written.
    """
    click.echo(result)
    for variable, text in (("GITHUB_OUTPUT", f"result={result}\n"), ("GITHUB_STEP_SUMMARY", summary)):
        target = os.environ.get(variable)
        if target and text is not None:
            try:
                with open(target, "a", encoding="utf-8") as sink:
                    sink.write(text)
            except OSError as problem:
                return GraderError(f"cannot append to ${variable} ({target}): {problem.strerror or problem}")
    return None


def _print_platform(grades: list, output_format: str) -> None:
    """Print one submission's grades as GitHub Classroom, Gradescope or JUnit read them."""
    from .. import exports

    if output_format == "gradescope":
        click.echo(json.dumps(exports.gradescope_results(grades), indent=2, ensure_ascii=False))
    elif output_format == "junit":
        stamp = datetime.datetime.now().isoformat(timespec="seconds")
        click.echo(exports.submission_junit(grades, timestamp=stamp), nl=False)
    else:  # classroom: the report to stderr (the log), annotations then the payload to stdout
        root = Path.cwd()
        click.echo(exports.classroom_log(grades), err=True)
        for line in exports.annotations(grades, root=root):
            click.echo(line)
        result = exports.classroom_result(grades, root=root)
        unwritten = _publish_classroom(result, summary=exports.step_summary(grades))
        if unwritten is not None:
            _fail(unwritten)


def _print(grades: list, *, every: bool, output_format: str, colour: bool, verbose: bool = False) -> None:
    if output_format in ("classroom", "gradescope", "junit"):
        _print_platform(grades, output_format)
        return
    score, max_score = sum(g.score for g in grades), sum(g.max_score for g in grades)
    if output_format == "json":
        from ..export import grade_to_dict

        if not every:
            click.echo(json.dumps(grade_to_dict(grades[0]), indent=2))
            return
        status = "passed" if all(g.status == "passed" for g in grades) else "failed"
        click.echo(json.dumps({"submission": grades[0].submission, "status": status, "score": round(score, 6),
                               "max_score": round(max_score, 6), "exercises": [grade_to_dict(g) for g in grades]},
                              indent=2))
        return
    from ..report import render

    click.echo(("\n\n" + "=" * 72 + "\n\n").join(render(g, colour=colour, verbose=verbose) for g in grades))
    if every:
        click.echo(f"\ntotal: {score:g}/{max_score:g} over {len(grades)} exercise(s): "
                   + ", ".join(g.exercise for g in grades))


@main.command("list")
@config_option
def list_command(config: Path | None) -> None:
    """List the exercises with their titles and points."""
    from ..exercise import exercise_files, parse_exercise

    try:
        settings = _settings(config)
        for exercise_id, path in exercise_files(settings.exercises_dir).items():
            exercise = parse_exercise(path, settings)
            click.echo(f"{exercise_id}  {exercise.title}  ({exercise.points:g} points)")
    except GraderError as error:
        _fail(error)


@main.command("show")
@click.argument("exercise_id", metavar="EXERCISE")
@config_option
def show_command(exercise_id: str, config: Path | None) -> None:
    """Print an exercise's prompt and the function to define."""
    from ..exercise import load_exercise

    try:
        settings = _settings(config)
        exercise = load_exercise(settings.exercises_dir, exercise_id, settings)
    except GraderError as error:
        _fail(error)
        return
    click.echo(f"{exercise.id}: {exercise.title} ({exercise.points:g} points)\n")
    click.echo(exercise.prompt + "\n")
    contract = exercise.contract
    shape = f"class {contract.function}({contract.base}), used as " if contract.base else ""
    click.echo(f"Define:  {shape}{contract.signature}")
    click.echo("Checks:  " + ", ".join(f"{c.name} ({c.points:g})" for c in exercise.checks))
    if exercise.rules:
        click.echo(f"Rules:   {exercise.rules.summary()}")


@main.command("start")
@click.argument("exercise_id", metavar="EXERCISE")
@click.option("--notebook", is_flag=True, help="Write a Jupyter notebook (EXERCISE.ipynb) instead of a .py file.")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@config_option
def start_command(exercise_id: str, notebook: bool, force: bool, config: Path | None) -> None:
    """Write the starter file EXERCISE.py (or EXERCISE.ipynb) into the current folder."""
    from ..config import outside_package
    from ..errors import UsageError
    from ..exercise import load_exercise

    try:
        settings = _settings(config)
        exercise = load_exercise(settings.exercises_dir, exercise_id, settings)
        target = outside_package(Path.cwd() / f"{exercise.id}{'.ipynb' if notebook else '.py'}", "the starter")
        if target.exists() and not force:
            raise UsageError(f"{target.name} already exists; keeping your work. Use --force to overwrite it.")
        if notebook:
            from ..notebook import starter_notebook

            target.write_text(starter_notebook(exercise), encoding="utf-8")
        else:
            from ..starter import starter_text

            target.write_text(starter_text(exercise), encoding="utf-8")
    except GraderError as error:
        _fail(error)
        return
    what = f"class {exercise.contract.function}" if exercise.contract.base else f"{exercise.contract.function}()"
    click.echo(f"wrote {target.name}: define {what}, then run: grade {exercise.id}")
    note = other_format(exercise.id, target.parent, target)
    if note:
        click.echo(note)
