"""The `grade` command: a thin click layer over the pipeline; this package is the only code that prints or exits.

app.py holds the group and what the commands share; student.py the commands a student runs, course.py the
instructor's, platforms.py the packaging for students, GitHub Classroom and Gradescope.
"""

from __future__ import annotations

import os
import sys

from . import course, deadlines, overrides, platforms, regrade, similar, student  # noqa: F401 - the commands register themselves on `main`
from .app import main

__all__ = ["main", "run"]


def run() -> None:
    """The `grade` console script: main(), then exit without tearing the interpreter down.

    Unloading torch at interpreter exit takes 0.3-0.7 s on this machine, longer than the rest of a grading run
    after the import; every file is closed and the launcher reaped by then, so skip it.
    """
    try:
        main()
        code = 0
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
        if done.code is not None and not isinstance(done.code, int):
            print(done.code, file=sys.stderr)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            code = code or 1
    os._exit(code)
