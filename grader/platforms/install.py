"""How another machine gets this grader: a copy of its source that pip can install, and a pinned CPU torch."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from .. import __version__
from ..config import PACKAGE
from ..errors import UsageError

# Keep in step with pyproject.toml's [project] dependencies (tests/test_bundle.py compares them).
DEPENDENCIES = ("torch>=2.2,<3", "numpy>=1.24", "click>=8.1", "pyyaml>=6.0", "nbformat>=5.9", "cloudpickle>=3.0",
                "watchfiles>=0.21,<2",
                "tzdata; sys_platform == 'win32'")  # config.yaml's deadlines: zoneinfo has no time zones on Windows
TORCH_RANGE = ((2, 2), (3, 0))  # the torch versions the grader supports: 2.2 <= version < 3.0
CPU_INDEX = "https://download.pytorch.org/whl/cpu"
SOURCE_DIR = "grader-src"  # where bundles and zips keep the grader's source, installable with pip install ./grader-src

PYPROJECT = """\
[build-system]
requires = ["setuptools>=68", "wheel"]
build-backend = "setuptools.build_meta"

[project]
name = "autograd-grader"
version = "{version}"
description = "Grade PyTorch autograd exercises (a copy shipped with a course)."
requires-python = ">=3.10"
dependencies = [{dependencies}]

[project.scripts]
grade = "grader.cli:run"

[tool.setuptools.packages.find]
include = ["grader", "grader.*"]
"""


@dataclass(frozen=True)
class TorchPin:
    """A CPU build of torch at one version, and the package index that serves it."""

    version: str
    index_url: str = CPU_INDEX

    @property
    def pip_args(self) -> str:
        """The arguments of `pip install` for this torch, ready to paste into a shell line."""
        index = f" --index-url {self.index_url}" if self.index_url else ""
        return f"torch=={self.version}{index}"


def torch_pin(version: str | None, index_url: str | None) -> TorchPin:
    """The torch to install elsewhere: the version given, else the one this grader runs with; checked against
    the supported range."""
    if version is None:
        try:
            version = metadata.version("torch").split("+", 1)[0]
        except metadata.PackageNotFoundError:
            raise UsageError("torch is not installed here, so its version cannot be copied; "
                             "name one with --torch 2.13.0") from None
    match = re.fullmatch(r"(\d+)\.(\d+)(?:\.(\d+))?", version)
    low, high = TORCH_RANGE
    if not match or not low <= (int(match[1]), int(match[2])) < high:
        raise UsageError(f"--torch {version}: give a torch version from {low[0]}.{low[1]} up to (not including) "
                         f"{high[0]}.{high[1]}, such as 2.13.0")
    return TorchPin(version=version, index_url=CPU_INDEX if index_url is None else index_url)


def write_grader_source(dest: Path) -> list[Path]:
    """Copy this grader's package into `dest` with a pyproject.toml, so `pip install dest` installs it."""
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(PACKAGE, dest / "grader", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    deps = ", ".join(f'"{d}"' for d in DEPENDENCIES)
    (dest / "pyproject.toml").write_text(PYPROJECT.format(version=__version__, dependencies=deps), encoding="utf-8")
    return sorted(p for p in dest.rglob("*") if p.is_file())
