"""Named fixtures an exercise can pass to students: built-in ones, and a course's own from its fixtures.py.

A fixture is a function. `{fixture: name}` calls it with no arguments under the trial's seed and passes what it
returns (a model standing in for resnet18); `{callable: [name, ...]}` passes one of the functions itself (a scalar
function whose gradient the student computes). A course's fixtures.py is trusted instructor code: it is loaded here,
in the grading process only, and the child receives only the objects built from it (grader.inputs.pack_built).
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import sys
import traceback
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from .errors import ConfigError

FILE_NAME = "fixtures.py"  # beside config.yaml; config.yaml's `fixtures:` may name another file


def small_convnet() -> Any:
    """A resnet18-shaped miniature: conv1/bn1/layer1/layer2 backbone, average pool, and an `fc` head."""
    from torch import nn

    class SmallConvNet(nn.Module):
        def __init__(self, num_classes: int = 10) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(3, 8, kernel_size=3, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(8)
            self.relu = nn.ReLU()
            self.layer1 = nn.Sequential(nn.Conv2d(8, 8, 3, padding=1), nn.ReLU())
            self.layer2 = nn.Sequential(nn.Conv2d(8, 16, 3, stride=2, padding=1), nn.ReLU())
            self.avgpool = nn.AdaptiveAvgPool2d(1)
            self.fc = nn.Linear(16, num_classes)

        def forward(self, x: Any) -> Any:
            x = self.relu(self.bn1(self.conv1(x)))
            x = self.layer2(self.layer1(x))
            return self.fc(self.avgpool(x).flatten(1))

    return SmallConvNet()


def small_mlp() -> Any:
    """A two-layer perceptron, Linear(4, 8) -> Tanh -> Linear(8, 3): layers `0`, `1`, `2` of an nn.Sequential."""
    from torch import nn

    return nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3))


def sin_exp(x: Any) -> Any:
    """sum(sin(x) * exp(x)) of a tensor x, a 0-dim tensor; its gradient is (cos(x) + sin(x)) * exp(x)."""
    import torch

    return (torch.sin(x) * torch.exp(x)).sum()


def cubic_sum(x: Any) -> Any:
    """sum(x**3 - 2*x) of a tensor x, a 0-dim tensor; its gradient is 3*x**2 - 2."""
    return (x**3 - 2 * x).sum()


BUILT_IN: Mapping[str, Callable[..., Any]] = types.MappingProxyType(
    {f.__name__: f for f in (small_convnet, small_mlp, sin_exp, cubic_sum)})


@dataclass(frozen=True)
class Fixtures:
    """The functions an exercise may name: the built-in ones and the course's, with where each is defined."""

    functions: Mapping[str, Callable[..., Any]]
    module: types.ModuleType | None = None  # the course's fixtures.py, loaded; pickled by value for the child
    path: Path | None = None
    defined: Mapping[str, str] = field(default_factory=dict)  # name -> "file:line", for messages

    def builders(self) -> list[str]:
        """The names a `fixture:` input may use: functions that can be called with no arguments."""
        return sorted(name for name, fn in self.functions.items() if _takes_nothing(fn))


def _takes_nothing(fn: Callable[..., Any]) -> bool:
    try:
        inspect.signature(fn).bind()
    except (TypeError, ValueError):
        return False
    return True


def _where(fn: Callable[..., Any]) -> str:
    code = getattr(fn, "__code__", None)
    return f"{code.co_filename}:{code.co_firstlineno}" if code is not None else "?"


BUILT_IN_FIXTURES = Fixtures(functions=BUILT_IN, defined=types.MappingProxyType({n: _where(f) for n, f in
                                                                                 BUILT_IN.items()}))


def course_fixtures(path: Path | None) -> Fixtures:
    """The built-in fixtures plus those of the course's fixtures.py at `path` (None: the built-in ones only).

    Loaded once per process and file version; never imported before a sandbox launcher is forked, since callers
    reach it only when they load an exercise.
    """
    if path is None:
        return BUILT_IN_FIXTURES
    try:
        stat = path.stat()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the course's fixtures: {exc.strerror or exc}") from None
    return _load(str(path.resolve()), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=8)
def _load(path_text: str, mtime_ns: int, size: int) -> Fixtures:
    """Execute the course's fixtures.py as a private module and collect its top-level public functions."""
    import cloudpickle

    path = Path(path_text)
    try:
        source = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the course's fixtures: {exc.strerror or exc}") from None
    try:
        # compiled here rather than imported: an import would write __pycache__ beside it, a copy of its code
        code = compile(source, path_text, "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as exc:
        line = getattr(exc, "lineno", None) or 1
        raise ConfigError(f"{path}:{line}: the course's fixtures are not valid Python: "
                          f"{getattr(exc, 'msg', None) or exc}") from None
    name = f"_grader_course_fixtures_{hashlib.sha256(path_text.encode()).hexdigest()[:12]}"
    module = types.ModuleType(name, f"The course's fixtures ({path})")
    module.__file__ = path_text
    sys.modules[name] = module  # cloudpickle pickles by value only a module it finds registered here
    try:
        exec(code, module.__dict__)  # noqa: S102 - trusted instructor code, in the grading process
    except Exception as exc:  # noqa: BLE001 - whatever it raises is the instructor's error, with its line
        del sys.modules[name]
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == path_text]
        line = frames[-1].lineno if frames else 1
        raise ConfigError(f"{path}:{line}: loading the course's fixtures failed: {type(exc).__name__}: {exc}") \
            from None
    cloudpickle.register_pickle_by_value(module)
    own = {key: value for key, value in vars(module).items() if not key.startswith("_")
           and inspect.isfunction(value) and value.__module__ == name}
    for key, fn in own.items():
        if key in BUILT_IN:
            raise ConfigError(f"{path}:{fn.__code__.co_firstlineno}: the fixture '{key}' is also a built-in fixture "
                              f"({_where(BUILT_IN[key])}); rename the one in {path.name}")
    defined = {**BUILT_IN_FIXTURES.defined, **{key: f"{path}:{fn.__code__.co_firstlineno}" for key, fn in own.items()}}
    return Fixtures(functions=types.MappingProxyType({**BUILT_IN, **own}), module=module, path=path,
                    defined=types.MappingProxyType(defined))
