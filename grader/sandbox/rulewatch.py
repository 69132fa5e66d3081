"""Count, in the child, the calls (and class constructions) an exercise's rules name, and see inputs written in place.

Before any student code runs, each named function is replaced by a counting wrapper wherever it is an attribute of
one of torch's public modules (torch.vmap and torch.func.vmap are one function: both places count). torch's private
modules keep the original, so torch's own internal calls (jacrev runs vmap) are not counted as the submission's.
The counts are the submission's claim, like everything the child sends: the parent also reads the source.
"""

from __future__ import annotations

import itertools
import sys
from types import ModuleType
from typing import Any, Callable

import torch

from ..ruleset import IN_PLACE_ON_INPUTS, Rules, resolve

# Captured at import, before student code: a tensor's version counter (bumped by every in-place write through it or
# through a view or .detach() of it, not through .data), and the reading of a tally no code can decrease.
_version = torch._C.TensorBase.__dict__["_version"].__get__
_tally_text = itertools.count.__repr__
_Tensor, _Parameter, _type, _int, _list, _vars = torch.Tensor, torch.nn.Parameter, type, int, list, vars
MAX_MODULES = 5000  # modules scanned for places holding a rule's function: torch imports about 1100


def _public(name: str) -> bool:
    return not any(part.startswith("_") for part in name.split("."))


def _counting(original: Callable, tally: Any) -> Callable:
    """`original`, counting each call on `tally` first (a wrapper without __wrapped__: nothing leads back)."""
    step = tally.__next__

    def counted(*args: Any, **kwargs: Any) -> Any:
        step()
        return original(*args, **kwargs)

    for attribute in ("__name__", "__qualname__", "__doc__", "__module__"):
        try:
            setattr(counted, attribute, getattr(original, attribute))
        except (AttributeError, TypeError):
            pass
    return counted


def _read(tally: Any) -> int:
    return _int(_tally_text(tally)[6:-1])  # "count(7)" -> 7


class Watch:
    """The counting wrappers of one run, and the versions of the tensor inputs around a call."""

    def __init__(self, rules: Rules) -> None:
        self.required = frozenset((*rules.requires, *(name for group in rules.one_of for name in group)))
        self.in_place = IN_PLACE_ON_INPUTS in rules.forbids
        self.active = bool(rules)
        self._tallies = {name: itertools.count() for name in rules.counted}
        self._start = dict.fromkeys(self._tallies, 0)
        self._excluded = dict.fromkeys(self._tallies, 0)  # calls made while the instructor's probes ran
        self.owners: list[ModuleType] = []  # modules whose attributes were replaced: the child's snapshot keeps them
        wrappers = {}
        for name, tally in self._tallies.items():
            original = resolve(name)
            if isinstance(original, type):  # a class stays itself (isinstance, subclasses): its constructions count
                self._count_constructions(original, tally)
                continue
            wrappers[id(original)] = (original, _counting(original, tally))
        if wrappers:
            self._install(wrappers)

    def _count_constructions(self, cls: type, tally: Any) -> None:
        """Count every `cls(...)`, a subclass's included, by wrapping the __init__ it runs, set on the class itself."""
        try:
            cls.__init__ = _counting(cls.__init__, tally)
        except (AttributeError, TypeError):  # a builtin class: its constructions are judged on the source alone
            return
        self.owners.append(cls)

    def _install(self, wrappers: dict) -> None:
        for module_name, module in _list(sys.modules.items())[:MAX_MODULES]:
            if not isinstance(module, ModuleType) or not _public(module_name):
                continue
            namespace = _vars(module)
            hits = [key for key, value in _list(namespace.items()) if id(value) in wrappers
                    and value is wrappers[id(value)][0]]
            for key in hits:
                namespace[key] = wrappers[id(namespace[key])][1]
            if hits:
                self.owners.append(module)

    def _calls(self, name: str) -> int:
        return _read(self._tallies[name]) - self._excluded[name]

    def start_trial(self) -> None:
        """Count required functions from here; forbidden ones stay counted from the start, loading included."""
        for name in self.required & self._tallies.keys():
            self._start[name] = self._calls(name)

    def uncounted(self, measure: Callable[[], Any]) -> Any:
        """Run `measure` (the probes: the instructor's code, which may call these functions too) off the count."""
        before = {name: _read(tally) for name, tally in self._tallies.items()}
        try:
            return measure()
        finally:
            for name, tally in self._tallies.items():
                self._excluded[name] += _read(tally) - before[name]

    def versions(self, args: dict) -> dict[str, int]:
        if not self.in_place:
            return {}
        return {name: _version(value) for name, value in args.items() if _type(value) in (_Tensor, _Parameter)}

    def report(self, args: dict, versions: dict[str, int]) -> dict:
        """The trial's counts, and the inputs whose version counter moved since `versions` was taken."""
        counts = {name: self._calls(name) - self._start[name] for name in self._tallies}
        modified = [name for name, version in versions.items() if _version(args[name]) != version]
        return {"counts": counts, "modified": modified}
