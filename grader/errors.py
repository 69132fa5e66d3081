"""One family of grader errors; each carries the exit code the CLI uses for it."""

from __future__ import annotations


class GraderError(Exception):
    """A fault of the grader's configuration or usage, never of a student's submission."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigError(GraderError):
    """config.yaml is missing, unreadable or invalid."""


class ExerciseError(GraderError):
    """An exercise file is invalid, or its reference computation failed."""


class UsageError(GraderError):
    """The command line names something that does not exist."""


class SubmissionNotFound(GraderError):
    """The submission file to grade cannot be found or read."""


class SandboxTooWeak(GraderError):
    """The machine cannot reach the isolation level config.yaml demands (sandbox.require); no student code ran."""
