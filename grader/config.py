"""config.yaml -> frozen Settings; command-line options override it."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from .duedates import Deadlines, parse_deadlines
from .errors import ConfigError, UsageError
from .fixtures import FILE_NAME as FIXTURES_FILE
from .yamlfile import Fields, load_yaml

CONFIG_NAME = "config.yaml"
SCHEMA = 1

LEVELS = ("portable", "baseline", "namespaces", "own_process_tree")  # config.yaml's sandbox.require, weakest first
RUNNERS = ("auto", "fork", "portable")  # config.yaml's sandbox.runner (grader.sandbox.runners chooses for "auto")


@dataclass(frozen=True)
class Limits:
    """What a student's child process may use."""

    timeout_s: float = 10.0
    memory_mb: int = 2048
    output_limit_kb: int = 1024
    result_limit_mb: int = 32
    max_tensor_elements: int = 1_000_000
    pid_namespace: bool = False  # a process tree per child, where the launcher could not get one: ~30 ms more each
    require: str = "portable"  # the weakest isolation level grading may run at (LEVELS); below it, refuse


# The limits an exercise's `limits:` may set for itself, each with the config.yaml key (under sandbox:) that caps it
EXERCISE_LIMITS = {"timeout_s": "max_timeout_s", "memory_mb": "max_memory_mb", "output_limit_kb": "max_output_limit_kb"}


@dataclass(frozen=True)
class Caps:
    """The most an exercise's own `limits:` may ask for (config.yaml's sandbox.max_*), and where each was set."""

    max_timeout_s: float = 60.0
    max_memory_mb: int = 8192
    max_output_limit_kb: int = 4096
    config: Path | None = field(default=None, compare=False)  # where they were read, for messages only
    lines: Mapping[str, int] = field(default_factory=dict, compare=False)  # cap -> its line in config.yaml, if set

    def describe(self, cap: str) -> str:
        """Where the cap comes from, for a message: 'sandbox.max_timeout_s: 60 (config.yaml:9)'."""
        where = f"{self.config}:{self.lines[cap]}" if cap in self.lines else \
            f"the default; set sandbox.{cap} in {self.config or 'config.yaml'} to change it"
        return f"sandbox.{cap}: {getattr(self, cap):g} ({where})"


@dataclass(frozen=True)
class Settings:
    """Course-wide defaults: where exercises live, sandbox limits, tolerances, hidden trials."""

    root: Path
    exercises_dir: Path
    solutions_dir: Path
    limits: Limits = Limits()
    rtol: float = 1e-4
    atol: float = 1e-6
    hidden_trials: int = 3
    fixtures: Path | None = None  # the course's fixtures.py, if it has one (grader.fixtures loads it)
    caps: Caps = Caps()
    overridden: frozenset[str] = frozenset()  # limits set on the command line: they win over an exercise's own
    deadlines: Deadlines | None = None  # config.yaml's deadlines: (grader.duedates); None: nothing is ever late
    runner: str = "auto"  # sandbox.runner: how children start (RUNNERS); GRADER_RUNNER in the environment wins

    def with_overrides(self, **changes: object) -> "Settings":
        """Apply command-line options given as keyword arguments; None means 'not given'."""
        given = {k: v for k, v in changes.items() if v is not None}
        limit_keys = {f.name for f in dataclasses.fields(Limits)}
        limits = dataclasses.replace(self.limits, **{k: v for k, v in given.items() if k in limit_keys})
        rest = {k: v for k, v in given.items() if k not in limit_keys}
        return dataclasses.replace(self, limits=limits, overridden=self.overridden | (given.keys() & limit_keys),
                                   **rest)

    def for_exercise(self, limits: Mapping[str, float]) -> "Settings":
        """These settings with an exercise's own `limits:` in place of the course's sandbox values.

        The one place that says which limits grade an exercise: its own (checked against the caps when it was
        loaded), else the course's; a limit given on the command line wins over both. Applying it twice is harmless.
        """
        own = {key: value for key, value in limits.items() if key not in self.overridden}
        return dataclasses.replace(self, limits=dataclasses.replace(self.limits, **own)) if own else self


PACKAGE = Path(__file__).resolve().parent  # the installed grader package: never written to, never hidden


def package_root() -> Path:
    """The course folder shipped beside the package (the repository root in a source checkout)."""
    return PACKAGE.parent


_COURSE_KEY = re.compile(r"^(schema|exercises_dir)\s*:", re.MULTILINE)


def is_course_config(candidate: Path) -> bool:
    """Whether `candidate` is a course's config.yaml, not another tool's file of the same name.

    A course's has a top-level `schema:` or `exercises_dir:` key, or an exercises/ folder beside it (the default
    exercises_dir): a config.yaml holding only `schema: 1` is a course too.
    """
    if not candidate.is_file():
        return False
    if (candidate.parent / "exercises").is_dir():
        return True
    try:
        head = candidate.read_text(encoding="utf-8", errors="replace")[:4096]
    except OSError:
        return False
    return _COURSE_KEY.search(head) is not None


def search_config(start: Path) -> Path | None:
    """The nearest course's config.yaml at or above `start` (see is_course_config); None outside a course."""
    start = start.expanduser().absolute()
    for folder in (start, *start.parents):
        candidate = folder / CONFIG_NAME
        if is_course_config(candidate):
            return candidate
    return None


def find_config(start: Path) -> Path | None:
    """The nearest course's config.yaml at or above `start`, else the bundled course's (for commands that only read)."""
    bundled = package_root() / CONFIG_NAME
    return search_config(start) or (bundled if bundled.is_file() else None)


def bundled_notice(start: Path) -> str:
    """The one line a reading command prints when no course folder holds `start`: which course it uses instead."""
    return (f"grade: no course folder here (no {CONFIG_NAME} at or above {start.expanduser().absolute()}); "
            f"using the bundled example course {package_root()}")


def course_config(config: Path | None, *starts: Path, writes: str, instead: str = "") -> Path:
    """--config, else the nearest course's config.yaml at or above one of `starts`: never the bundled course.

    For commands that write (`writes` says what, where): falling back to the course bundled with the package
    would grade the wrong course and write into the installed package.
    """
    if config is not None:
        return config
    for start in starts:
        found = search_config(start)
        if found is not None:
            return found
    searched = " or ".join(str(start.expanduser().absolute()) for start in starts)
    raise UsageError(f"no course folder: there is no {CONFIG_NAME} of a course (one with a schema: key) in {searched} "
                     f"or any folder above it, and {writes}. Run the command from the course folder (the one holding "
                     f"{CONFIG_NAME} and exercises/; `grade init COURSE/` makes one), or pass --config "
                     f"path/to/{CONFIG_NAME}{instead}. (The course bundled with the grader, {package_root()}, serves "
                     f"only commands that read: grade EXERCISE, list, show, start, check-exercises.)")


def outside_package(path: Path, what: str) -> Path:
    """`path`, refused when it lies inside the installed grader package (which must never be written to)."""
    target = path.expanduser().absolute().resolve()
    if target == PACKAGE or PACKAGE in target.parents:
        raise UsageError(f"{path}: {what} would be written inside the grader package ({PACKAGE}); choose a folder "
                         f"of your own")
    return path


def load_settings(path: Path | None) -> Settings:
    """Read and validate config.yaml; without one, use defaults rooted at the bundled course."""
    if path is None:
        root = package_root()
        return Settings(root=root, exercises_dir=root / "exercises", solutions_dir=root / "solutions")
    data = load_yaml(path, ConfigError)
    root = path.resolve().parent
    top = Fields(data, path=path, where="config", error=ConfigError)
    schema = top.req("schema", int)
    if schema != SCHEMA:
        newer = "newer" if schema > SCHEMA else "older"
        top.fail(f"config schema {schema} is {newer} than this grader understands (schema {SCHEMA}); "
                 f"{'upgrade the grader' if schema > SCHEMA else 'set schema: 1'}", line=top.line_of("schema"))
    exercises_dir = root / top.opt("exercises_dir", str, "exercises")
    solutions_dir = root / top.opt("solutions_dir", str, "solutions")
    hidden = top.opt("hidden_trials", int, Settings.hidden_trials)
    top.check(hidden >= 0, "hidden_trials", "must be 0 or more")

    sandbox = top.sub("sandbox", required=False)
    defaults = Limits()
    limits = Limits(
        timeout_s=sandbox.opt("timeout_s", float, defaults.timeout_s),
        memory_mb=sandbox.opt("memory_mb", int, defaults.memory_mb),
        output_limit_kb=sandbox.opt("output_limit_kb", int, defaults.output_limit_kb),
        result_limit_mb=sandbox.opt("result_limit_mb", int, defaults.result_limit_mb),
        max_tensor_elements=sandbox.opt("max_tensor_elements", int, defaults.max_tensor_elements),
        pid_namespace=sandbox.opt("pid_namespace", bool, defaults.pid_namespace),
        require=sandbox.opt("require", str, defaults.require),
    )
    sandbox.check(limits.require in LEVELS, "require",
                  f"must be one of {', '.join(LEVELS)} (weakest first), not {limits.require!r}")
    for key in ("timeout_s", "memory_mb", "output_limit_kb", "result_limit_mb", "max_tensor_elements"):
        sandbox.check(getattr(limits, key) > 0, key, "must be greater than 0")
    caps = _caps(sandbox, limits, path)
    runner = sandbox.opt("runner", str, Settings.runner)
    sandbox.check(runner in RUNNERS, "runner", f"must be one of {', '.join(RUNNERS)}, not {runner!r}")
    sandbox.done()

    tolerance = top.sub("tolerance", required=False)
    rtol = tolerance.opt("rtol", float, Settings.rtol)
    atol = tolerance.opt("atol", float, Settings.atol)
    tolerance.check(rtol >= 0, "rtol", "must be 0 or more")
    tolerance.check(atol >= 0, "atol", "must be 0 or more")
    tolerance.done()
    fixtures = _fixtures(top, root)
    deadlines = parse_deadlines(top, root)
    top.done()
    return Settings(root=root, exercises_dir=exercises_dir, solutions_dir=solutions_dir, limits=limits,
                    rtol=rtol, atol=atol, hidden_trials=hidden, fixtures=fixtures, caps=caps, deadlines=deadlines,
                    runner=runner)


def _caps(sandbox: Fields, limits: Limits, path: Path) -> Caps:
    """sandbox.max_*: how far an exercise may raise its own limits; the course's own values must fit under them."""
    defaults = Caps()
    caps = Caps(
        max_timeout_s=sandbox.opt("max_timeout_s", float, defaults.max_timeout_s),
        max_memory_mb=sandbox.opt("max_memory_mb", int, defaults.max_memory_mb),
        max_output_limit_kb=sandbox.opt("max_output_limit_kb", int, defaults.max_output_limit_kb),
        config=path, lines={cap: sandbox.line_of(cap) for cap in EXERCISE_LIMITS.values() if sandbox.has(cap)},
    )
    for key, cap in EXERCISE_LIMITS.items():
        sandbox.check(getattr(caps, cap) > 0, cap, "must be greater than 0")
        sandbox.check(getattr(limits, key) <= getattr(caps, cap), key if sandbox.has(key) else cap,
                      f"the course's {key} ({getattr(limits, key):g}) is above its cap {caps.describe(cap)}; "
                      f"raise sandbox.{cap} or lower sandbox.{key}")
    return caps


def _fixtures(top: Fields, root: Path) -> Path | None:
    """The course's fixtures file: config.yaml's `fixtures:` (relative to the course folder), else fixtures.py there."""
    named = top.opt("fixtures", str, None)
    if named is None:
        default = root / FIXTURES_FILE
        return default if default.is_file() else None
    path = root / named
    top.check(path.is_file(), "fixtures", f"{path} is not a file; name the course's fixtures file, relative to the "
                                          f"course folder ({root})")
    return path
