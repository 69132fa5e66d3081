"""Choose how children start: forked from a warm launcher (Linux), or as pre-started interpreters (portable).

config.yaml's sandbox.runner chooses (auto, fork, portable); GRADER_RUNNER in the environment, when set, wins over
it, so that one machine can be tried at the portable level without editing a course (the test suite does). auto
forks on Linux only: Windows has no fork, and on macOS forking a process that has imported torch is unsafe.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from ..config import RUNNERS
from ..errors import ConfigError

VARIABLE = "GRADER_RUNNER"


def can_fork() -> bool:
    """Whether the fork runner can serve here: Linux, with os.fork."""
    return hasattr(os, "fork") and sys.platform.startswith("linux")


def choose(configured: str = "auto") -> str:
    """'fork' or 'portable': GRADER_RUNNER if set, else config.yaml's sandbox.runner (`configured`), for this system."""
    forced = os.environ.get(VARIABLE, "").strip().lower()
    if forced and forced not in RUNNERS:
        raise ConfigError(f"{VARIABLE}={forced!r} in the environment: must be one of {', '.join(RUNNERS)} (or unset, "
                          f"to follow config.yaml's sandbox.runner)")
    wanted = forced or configured
    if wanted == "fork" and not can_fork():
        source = f"{VARIABLE}=fork" if forced else "sandbox.runner: fork in config.yaml"
        raise ConfigError(f"{source}: the fork runner needs Linux (this is {sys.platform}); use auto or portable")
    if wanted == "auto":
        return "fork" if can_fork() else "portable"
    return wanted


def open_spawner(configured: str = "auto", *, keep_warm: bool = False, full_warm: bool = False) -> Any:
    """A started spawner of the chosen runner: start(plan), wait(), warm_up(), close(); a context manager.

    Call it before any exercise is read (the fork runner's launcher must hold none). `keep_warm` and `full_warm`
    serve the portable runner (grader.sandbox.portable.PortableSpawner); the fork runner's launcher is warmed by
    warm_up() before it is forked, or by its own warm_up() later.
    """
    if choose(configured) == "portable":
        from .portable import PortableSpawner

        return PortableSpawner(keep_warm=keep_warm, full_warm=full_warm)
    from .spawner import Spawner

    return Spawner()
