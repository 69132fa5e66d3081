"""The `grade` group and what every command shares: the course lookup, paths as users type them, one error printer."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from .. import __version__
from ..config import Settings, bundled_notice, find_config, load_settings, search_config
from ..errors import GraderError


def _settings(config: Path | None, **overrides: Any) -> Settings:
    """The course for a command that only reads: --config, the nearest course, else the bundled one, said on stderr."""
    path = config if config else search_config(Path.cwd())
    if path is None:
        path = find_config(Path.cwd())
        click.echo(bundled_notice(Path.cwd()), err=True)
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


class _DefaultToGrade(click.Group):
    """`grade ex03 ...` means `grade run ex03 ...` when ex03 is not a command name."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and not args[0].startswith("-") and args[0] not in self.commands:
            args = ["run", *args]
        return super().parse_args(ctx, args)


@click.group(cls=_DefaultToGrade, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="grade")
def main() -> None:
    """Grade PyTorch autograd exercises.

    \b
    grade ex03                 grade ./ex03.py (or ./ex03.ipynb)
    grade ex03 my_answer.py    grade a named file
    grade list                 list the exercises
    grade show ex03            show an exercise's prompt and signature
    grade start ex03           write the starter file ex03.py here
    grade init mycourse/       write a course of your own (config, exercises, solutions, fixtures)
    grade new ex02 "title"     scaffold an exercise in this course
    grade check-exercises ex02 prove exercises against their solutions (default: all; --invert: the starters)
    grade batch submissions/   grade a class into the gradebook (resumable)
    grade export --format csv  export the gradebook (csv, json, canvas, junit, gradescope)
    grade report               the class report: one offline HTML page
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
