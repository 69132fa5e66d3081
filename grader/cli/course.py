"""Commands for instructors: prove the exercises, grade a class, export and report."""

from __future__ import annotations

import sys

import click

from ..errors import GraderError
from . import _fail, _settings, config_option, main


@main.command("check-exercises")
@config_option
def check_exercises_command(config: str | None) -> None:
    """Validate every exercise; its solution must score full marks, each known-wrong variant its diagnosis."""
    from ..selfcheck import check_all

    try:
        settings = _settings(config)
        problems = 0
        for line in check_all(settings):
            click.echo(("  ok    " if line.ok else "  FAIL  ") + line.text)
            problems += not line.ok
    except GraderError as error:
        _fail(error)
        return
    click.echo(f"\n{'all exercises check out' if not problems else f'{problems} problem(s)'}")
    sys.exit(1 if problems else 0)
