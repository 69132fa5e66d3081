"""The `grade` group and what every command shares: the course lookup, paths as users type them, one error printer."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from .. import __version__
from ..config import CONFIG_NAME, Settings, bundled_notice, find_config, load_settings, search_config
from ..errors import GraderError, UsageError


def _settings(config: Path | None, **overrides: Any) -> Settings:
    """The course for a command that only reads: --config, the nearest course, else the bundled one, said on stderr."""
    path = config if config else search_config(Path.cwd())
    if path is None:
        path = find_config(Path.cwd())
        settings = load_settings(path)
        if not settings.exercises_dir.is_dir():  # an installed grader ships no course: the student is elsewhere
            raise UsageError(f"no course folder here: no {CONFIG_NAME} in {Path.cwd().absolute()} or above it. Run "
                             f"grade from your course folder (the one that holds {CONFIG_NAME} and exercises/): "
                             f"cd path/to/course, then grade ex03; or name the course with --config "
                             f"path/to/course/{CONFIG_NAME}")
        click.echo(bundled_notice(Path.cwd()), err=True)
        return settings.with_overrides(**overrides)
    return load_settings(path).with_overrides(**overrides)


class UserPath(click.Path):
    """A click.Path given as a pathlib.Path with ~ expanded: a quoted '~/x' or --opt=~/x reaches us unexpanded.

    Relative paths stay relative to the current folder and symlinks stay as given (never resolved), so every
    path derived from one (a submission under a class folder) can be shown relative to it.
    """

    def __init__(self, **options: Any) -> None:
        super().__init__(path_type=Path, **options)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and value != "-":
            value = os.path.expanduser(value)
        return super().convert(value, param, ctx)


STUDENT_COMMANDS = ("run", "list", "show", "start")


class _DefaultToGrade(click.Group):
    """`grade ex03 ...` means `grade run ex03 ...` when ex03 is not a command name."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and not args[0].startswith("-") and args[0] not in self.commands:
            args = ["run", *args]
        return super().parse_args(ctx, args)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """List the student's commands apart from the instructor's, so a student sees first what is theirs."""
        listed = [(name, self.get_command(ctx, name)) for name in self.list_commands(ctx)]
        width = formatter.width - 6 - max((len(name) for name, _ in listed), default=0)
        for title, group in (("Commands for students", [c for c in listed if c[0] in STUDENT_COMMANDS]),
                             ("Commands for instructors", [c for c in listed if c[0] not in STUDENT_COMMANDS])):
            rows = [(name, command.get_short_help_str(width)) for name, command in group
                    if command is not None and not command.hidden]
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)


@click.group(cls=_DefaultToGrade, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="grade")
def main() -> None:
    """Grade PyTorch autograd exercises.

    \b
    For students, in the course folder:
    grade ex03                 grade ./ex03.py (or ./ex03.ipynb)
    grade ex03 my_answer.py    grade a named file (grade ex03.py works too)
    grade ex03 --watch         grade again on every save, kept warm (Ctrl-C stops)
    grade list                 list the exercises
    grade show ex03            show an exercise's prompt and signature
    grade start ex03           write the starter file ex03.py here (--notebook: ex03.ipynb)

    \b
    For instructors:
    grade init mycourse/       write a course of your own (config, exercises, solutions, fixtures)
    grade new ex02 "title"     scaffold an exercise in this course
    grade check-exercises ex02 prove exercises against their solutions (default: all; --invert: the starters)
    grade batch submissions/   grade a class into the gradebook (resumable; --student, --changed-exercise)
    grade regrades             the last batch run's before/after diff of scores
    grade export --format csv  export the gradebook (csv, json, canvas, junit, gradescope)
    grade report               the class report: one offline HTML page
    grade similar --exercise ex03 DIR  near-identical submissions, grouped
    grade feedback -o out/     each student's report.txt and report.html
    grade extend bob ex03 --days 2 --reason "..."   more time for one student (docs/deadlines.md)
    grade bundle -o student/   what students receive (no answers, no hidden trials)
    grade classroom init DIR   the GitHub Classroom workflow
    grade gradescope build ... the Gradescope autograder zip
    """


def _fail(error: GraderError) -> None:
    click.echo(f"error: {error.message}", err=True)
    sys.exit(error.exit_code)


config_option = click.option("--config", type=UserPath(dir_okay=False), default=None,
                             help="config.yaml to use (default: the nearest one at or above this folder; only the "
                                  "commands that read fall back to the bundled course).")
