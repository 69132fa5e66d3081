"""exercises/<id>_<slug>.yaml -> frozen Exercise, validated once, here."""

from __future__ import annotations

import ast
import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .codes import DIAGNOSES, ERROR_KINDS
from .config import EXERCISE_LIMITS, Caps, Settings
from .contract import INSTANCE, Contract, Measure, check_gradchecks, parse_contract
from .errors import ExerciseError, UsageError
from .fixtures import Fixtures, course_fixtures
from .inputspec import InputSpec, parse_dim, parse_input
from .ruleset import Rules, parse_rules, reference_breaks
from . import schema
from .schema import SCHEMAS, names, newer_key
from .yamlfile import Fields, each_item, load_yaml

ID_PATTERN = re.compile(r"^ex\d{2}$")
CHECK_KINDS = names(schema.CHECK_KINDS)
TARGETED = tuple(k for k in CHECK_KINDS if k not in ("not_aliased", "no_autograd", "gradcheck"))
MEASURED = ("gradcheck", "hooks", "flag")  # kinds the child measures on live objects (grader.sandbox.measures)


@dataclass(frozen=True)
class Code:
    """Trusted instructor Python, with the line where it starts in the YAML file."""

    source: str
    line: int


@dataclass(frozen=True)
class Check:
    """One scored check; kinds and their options are listed in docs/exercise-format.md."""

    name: str
    kind: str
    points: float
    target: str = ""
    targets: tuple[str, ...] = ()
    expect: Any = None
    rtol: float | None = None
    atol: float | None = None
    module: str = ""
    allow_extra: bool = False
    exclude: tuple[str, ...] = ()
    diagnosis: str = "value"
    line: int = 0
    hint: str = ""  # replaces the generic advice of a failure that has no more specific diagnosis
    hidden: bool = False  # scored, but students see only its name, pass/fail and points


@dataclass(frozen=True)
class Mistake:
    """A known wrong approach: an alternative reference whose results, when matched, name the mistake."""

    id: str
    diagnosis: str
    message: str
    code: Code
    checks: tuple[str, ...] = ()
    raises: str = ""  # an exception mistake: the exception class name the student's run raises
    match: str = ""  # and a regular expression searched in its message (empty: any message)


@dataclass(frozen=True)
class NotebookNames:
    """How a free-form notebook answers: the variable that plays each argument and each returned value."""

    args: dict
    returns: dict

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys([*self.args.values(), *self.returns.values()]))


@dataclass(frozen=True)
class Exercise:
    """One validated exercise."""

    path: Path
    id: str
    version: int
    title: str
    points: float
    prompt: str
    contract: Contract
    dims: dict
    inputs: tuple[InputSpec, ...]
    public_seeds: tuple[int, ...]
    hidden_trials: int | None
    reference: Code
    probes: dict
    checks: tuple[Check, ...]
    mistakes: tuple[Mistake, ...]
    starter: str = ""
    notebook: "NotebookNames | None" = None
    expected: Path | None = None  # a student bundle: the reference's stored values on the public trials, no code
    limits: dict = field(default_factory=dict)  # its own timeout_s, memory_mb, output_limit_kb (Settings.for_exercise)
    fixtures: Path | None = None  # the course's fixtures.py its fixture and callable inputs may name
    measures: tuple[Measure, ...] = ()  # what the child measures for gradcheck, hooks and flag checks
    rules: Rules = Rules()

    @property
    def input_names(self) -> tuple[str, ...]:
        return tuple(spec.name for spec in self.inputs)

    def public(self) -> "Exercise":
        """What a sandboxed child may know: the contract, inputs and probes; no reference, checks or mistakes."""
        return dataclasses.replace(self, prompt="", reference=Code("", 0), checks=(), mistakes=(), starter="",
                                   fixtures=None)


def _code(fields: Fields, key: str, function: str, what: str, *, base: str = "") -> Code:
    source = fields.req(key, str)
    line = fields.value_line_of(key)  # a block scalar (|) starts on the line after its key
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        fields.fail(f"{what} is not valid Python: {exc.msg}", line=line + (exc.lineno or 1) - 1)
    kind = ast.ClassDef if base else ast.FunctionDef
    defined = {node.name for node in tree.body if isinstance(node, kind)}
    if function not in defined:
        thing = f"a class '{function}' deriving from {base}" if base else f"a function '{function}'"
        fields.fail(f"{what} must define {thing} (it defines: {', '.join(sorted(defined)) or 'none'})", line=line)
    return Code(source=source, line=line)


def _limits(top: Fields, caps: Caps) -> dict:
    """limits: {timeout_s, memory_mb, output_limit_kb}: this exercise's own, each within the course's cap."""
    f = top.sub("limits", required=False)
    f.declare(*EXERCISE_LIMITS)
    limits = {}
    for key, cap in EXERCISE_LIMITS.items():
        if f.has(key):
            value = f.req(key, float if key == "timeout_s" else int)
            f.check(value > 0, key, "must be greater than 0")
            f.check(value <= getattr(caps, cap), key, f"{value:g} is above the course's cap {caps.describe(cap)}; "
                                                      f"lower it here or raise the cap")
            limits[key] = value
    f.done()
    return limits


def _check(data: Any, index: int, line: int, *, path: Path, names: set, inputs: tuple,
           returns: tuple[str, ...] = ()) -> Check:
    f = Fields(data, path=path, where=f"checks[{index}]", error=ExerciseError, line=line)
    kind = f.req("kind", str)
    f.check(kind in CHECK_KINDS, "kind", f"unknown check kind '{kind}'; known: {', '.join(CHECK_KINDS)}")
    points = f.req("points", float)
    f.check(points >= 0, "points", "must be 0 or more")
    target = f.req("target", str) if kind in TARGETED else f.opt("target", str, "") if kind == "gradcheck" else ""
    targets = tuple(f.req("targets", list)) if kind == "not_aliased" else ()
    for each in (target,) if target else targets:
        f.check(isinstance(each, str), "targets", f"targets are dotted names, not {each!r}")
        head = each.split(".")[0]
        if head == "args":
            ok = len(each.split(".")) >= 2 and each.split(".")[1] in inputs
        else:
            ok = head in names
        f.check(ok, "target" if target else "targets",
                f"'{each}' names nothing; use a returned name, an input, a probe, or args.<input>")
    check = Check(
        name=f.opt("name", str, target or kind), kind=kind, points=points, target=target, targets=targets,
        expect=f.opt("expect", (bool, str, int, float, list), None),
        rtol=f.opt("rtol", float, None), atol=f.opt("atol", float, None),
        module=f.opt("module", str, "") if kind == "optimizer" else "",
        allow_extra=f.opt("allow_extra", bool, False) if kind == "optimizer" else False,
        exclude=tuple(f.opt("exclude", list, [])) if kind == "trainable" else (),
        diagnosis=f.opt("diagnosis", str, "value") if kind in ("equal", "flag") else "value",
        line=line, hint=f.opt("hint", str, "").strip(), hidden=f.opt("hidden", bool, False),
    )
    f.check(check.diagnosis in DIAGNOSES, "diagnosis", f"unknown diagnosis; known: {', '.join(DIAGNOSES)}")
    if kind in ("value", "grad"):  # `expect: none` says a None result is the answer, not an oversight
        f.check(check.expect in (None, "none"), "expect", "a value or grad check takes only 'expect: none' (the "
                                                          "reference's result is None, and that is the answer)")
    if kind == "flag":
        f.check(check.expect is None or isinstance(check.expect, bool), "expect", "a flag check expects true or false")
    if kind == "hooks":
        f.check(check.expect is None or type(check.expect) is int and check.expect >= 0, "expect",
                "a hooks check expects a whole number of hooks, 0 or more")
    if kind == "gradcheck" and target:
        f.check(target in returns, "target", f"a gradcheck target names a returned callable "
                                             f"({', '.join(returns)}), or is left out to check the contract's own")
    if kind == "optimizer":
        f.check(bool(check.module), "module", "an optimizer check names the module whose parameters it holds")
    f.done()
    return check


def _mistake(data: Any, index: int, line: int, *, path: Path, function: str, checks: set, seen: dict,
             stored: bool, base: str = "") -> Mistake:
    f = Fields(data, path=path, where=f"mistakes[{index}]", error=ExerciseError, line=line)
    mistake_id = f.req("id", str)
    f.check(mistake_id not in seen, "id", f"a second mistake with the id '{mistake_id}' (the first is on line "
                                          f"{seen.get(mistake_id)}); give each mistake its own id")
    seen[mistake_id] = f.line_of("id")
    diagnosis = f.req("diagnosis", str)
    raises, match = f.opt("raises", str, ""), f.opt("match", str, "")
    known = [*DIAGNOSES, *ERROR_KINDS] if raises else list(DIAGNOSES)  # an exception may keep its error kind
    f.check(diagnosis in known, "diagnosis", f"unknown diagnosis '{diagnosis}'; known: {', '.join(known)}")
    f.check(not raises or all(part.isidentifier() for part in raises.split(".")), "raises",
            f"name an exception class, such as RuntimeError or torch.OutOfMemoryError, not {raises!r}")
    f.check(not match or bool(raises), "match", "'match' refines 'raises': add raises: <exception class>")
    try:
        re.compile(match)
    except re.error as exc:
        f.fail(f"mistakes[{index}].match is not a regular expression: {exc}", line=f.line_of("match"))
    message = f.req("message", str).strip()
    code = Code("", 0) if stored else _code(f, "code", function, f"mistakes[{index}].code", base=base)
    only = tuple(f.opt("checks", list, []))
    for name in only:
        f.check(isinstance(name, str), "checks", f"list the names of checks, not {name!r}")
        f.check(name in checks, "checks", f"'{name}' is not the name of a check")
    f.done()
    return Mistake(id=mistake_id, diagnosis=diagnosis, message=message, code=code, checks=only, raises=raises,
                   match=match)


def _probe_parameters(fields: Fields, name: str, code: Code, known: set) -> None:
    """Every parameter of a probe must name a returned value, an input or `gen`."""
    for node in ast.parse(code.source).body:
        if isinstance(node, ast.FunctionDef) and node.name == "probe":
            for arg in [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]:
                if arg.arg not in known:
                    import difflib

                    close = difflib.get_close_matches(arg.arg, sorted(known), n=1, cutoff=0.5)
                    hint = f" (did you mean '{close[0]}'?)" if close else ""
                    fields.fail(f"probes.{name}: the parameter '{arg.arg}' names nothing the grader can pass{hint}; "
                                f"a probe's parameters are returned names, inputs or gen: {', '.join(sorted(known))}",
                                line=code.line + node.lineno - 1)


def _notebook(top: Fields, contract: Contract, inputs: tuple[InputSpec, ...]) -> NotebookNames:
    """notebook: {args: {argument: variable}, returns: {returned name: variable}}, every one of them mapped."""
    f = top.sub("notebook")
    mapped = {}
    for key, wanted in (("args", [s.name for s in inputs]), ("returns", list(contract.returns))):
        names = f.req(key, dict)
        f.check(set(names) == set(wanted) and all(isinstance(v, str) and v.isidentifier() for v in names.values()),
                key, f"map each of {', '.join(wanted)} to the notebook variable that holds it")
        mapped[key] = {k: names[k] for k in wanted}
    f.done()
    return NotebookNames(args=mapped["args"], returns=mapped["returns"])


def parse_exercise(path: Path, settings: Settings | None = None) -> Exercise:
    """Load and validate one exercise file of the course `settings` describe (None: built-in fixtures, default caps)."""
    course_file = settings.fixtures if settings is not None else None

    def fixtures() -> Fixtures:  # loaded (once per process) only for an exercise that names a fixture
        return course_fixtures(course_file)

    top = Fields(load_yaml(path, ExerciseError), path=path, where="exercise", error=ExerciseError)
    declared = top.req("schema", int)
    if declared not in SCHEMAS:
        newest = max(SCHEMAS)
        advice = "upgrade the grader" if declared > newest else f"set schema: {newest} and check the file"
        top.fail(f"exercise schema {declared} is {'newer' if declared > newest else 'older'} than this grader "
                 f"understands (schemas {', '.join(map(str, SCHEMAS))}); {advice}", line=top.line_of("schema"))
    newer = newer_key(top.data, declared)
    if newer is not None:
        top.fail(f"{newer[0]} is new in schema 2, and this file says schema: {declared} (line "
                 f"{top.line_of('schema')}): set schema: 2", line=newer[1])
    exercise_id = top.req("id", str)
    top.check(bool(ID_PATTERN.match(exercise_id)), "id", "an exercise id looks like ex03")
    top.check(path.name.startswith(exercise_id + "_") or path.stem == exercise_id, "id",
              f"the id '{exercise_id}' must begin the file name ({path.name})")

    contract = parse_contract(top)
    function, returns = contract.function, contract.returns

    dims_f = top.sub("dims", required=False)
    dims = {name: parse_dim(dims_f, name) for name in list(dims_f.data)}
    inputs_f = top.sub("inputs")
    inputs = tuple(parse_input(name, inputs_f.data[name], inputs_f.line_of(name), path=path, dims=dims,
                          fixtures=fixtures) for name in inputs_f.data)
    inputs_f._read.update(inputs_f.data)
    top.check(len(inputs) > 0, "inputs", "an exercise needs at least one input")

    trials_f = top.sub("trials")
    seeds = trials_f.req("public", list)
    trials_f.check(len(seeds) > 0 and all(isinstance(s, int) and not isinstance(s, bool) for s in seeds), "public",
                   "list one or more whole-number seeds")
    hidden = trials_f.opt("hidden", int, None)
    trials_f.check(hidden is None or hidden >= 0, "hidden", "must be 0 or more")
    trials_f.done()

    probes_f = top.sub("probes", required=False)
    probes = {name: _code(probes_f, name, "probe", f"probes.{name}") for name in list(probes_f.data)}
    built = {INSTANCE} if contract.is_module else set()
    for name, code in probes.items():
        _probe_parameters(probes_f, name, code, set(returns) | {spec.name for spec in inputs} | {"gen"} | built)
    names = set(returns) | {spec.name for spec in inputs} | set(probes) | built
    if contract.is_module:
        top.check(INSTANCE not in {spec.name for spec in inputs}, "inputs",
                  f"'{INSTANCE}' names the object built from the contract's class; give the input another name")

    checks = tuple(each_item(top.req("checks", list), top, "checks",
                             lambda d, i, ln: _check(d, i, ln, path=path, names=names,
                                                     inputs={s.name for s in inputs}, returns=returns)))
    check_gradchecks(top, checks, inputs, dims)
    top.check(len(checks) > 0, "checks", "an exercise needs at least one check")
    check_names = [c.name for c in checks]
    duplicates = sorted({n for n in check_names if check_names.count(n) > 1})
    top.check(not duplicates, "checks", f"check names must differ; give each a 'name' ({', '.join(duplicates)})")
    expected = top.opt("expected", str, None)
    if expected is not None:
        top.check(not top.has("reference") and (path.parent / expected).is_file(), "expected",
                  f"stored expectations replace the reference: drop 'reference', and {path.parent / expected} must "
                  f"exist (rebuild the bundle with 'grade bundle')")
    mistake_ids: dict = {}
    mistakes = tuple(each_item(top.opt("mistakes", list, []), top, "mistakes",
                               lambda d, i, ln: _mistake(d, i, ln, path=path, function=function,
                                                         checks=set(check_names), seen=mistake_ids,
                                                         stored=expected is not None, base=contract.base)))
    rules = parse_rules(top, no_autograd=any(c.kind == "no_autograd" for c in checks))
    total = sum(c.points for c in checks)
    points = top.req("points", float)
    top.check(abs(points - total) < 1e-9, "points", f"is {points:g} but the checks add up to {total:g}")

    exercise = Exercise(
        path=path, id=exercise_id, version=top.opt("version", int, 1), title=top.req("title", str),
        points=points, prompt=top.req("prompt", str).strip(), contract=contract, dims=dims, inputs=inputs,
        public_seeds=tuple(seeds), hidden_trials=hidden,
        reference=_code(top, "reference", function, "reference", base=contract.base) if expected is None
        else Code("", 0),
        probes=probes, checks=checks, mistakes=mistakes, starter=top.opt("starter", str, ""),
        notebook=_notebook(top, contract, inputs) if top.has("notebook") else None,
        expected=None if expected is None else path.parent / expected,
        limits=_limits(top, settings.caps if settings is not None else Caps()), fixtures=course_file, rules=rules,
        measures=tuple(Measure(c.name, c.kind, c.target) for c in checks if c.kind in MEASURED),
    )
    if exercise.notebook is not None:
        top.check(not contract.base, "notebook", "a free-form notebook answers with variables, never a class: drop "
                                                 "'notebook' or make the contract a function")
        refused = [c.name for c in checks if c.kind == "gradcheck"]
        top.check(not refused, "notebook", f"a free-form notebook has no function to run gradcheck on "
                                           f"({', '.join(refused)}): drop 'notebook' or those checks")
    broken = reference_breaks(rules, exercise.reference.source) if rules and expected is None else None
    if broken is not None:
        top.fail(f"{broken[1]}; fix the reference or the rule", line=exercise.reference.line + broken[0] - 1)
    top.done()
    return exercise


def exercise_files(folder: Path) -> dict[str, Path]:
    """Map exercise ids to their files in `folder`."""
    if not folder.is_dir():
        raise ExerciseError(f"{folder}: the exercises folder does not exist; set exercises_dir in config.yaml")
    found: dict[str, Path] = {}
    for path in sorted(folder.glob("ex*.yaml")):
        exercise_id = path.stem.split("_", 1)[0]
        if exercise_id in found:
            raise ExerciseError(f"{path}: a second file for {exercise_id} (the first is {found[exercise_id].name})")
        found[exercise_id] = path
    return found


def closest_id(wanted: str, known: list[str]) -> str | None:
    """The known exercise id most like `wanted`, as difflib sees it; of equally close ones the first in course order.

    difflib alone breaks ties towards the greater string: 'ex3' is as close to ex13 as to ex03, and ex13 would win.
    """
    import difflib

    scored = [(difflib.SequenceMatcher(None, candidate, wanted).ratio(), candidate) for candidate in sorted(known)]
    best = max(scored, key=lambda pair: pair[0], default=(0.0, None))  # max keeps the first of equal ratios
    return best[1] if best[0] >= 0.6 else None


def did_you_mean(wanted: str, known: list[str]) -> str:
    """' (did you mean X?)' naming the closest of `known` (closest_id), or '' when none is close."""
    close = closest_id(wanted, known)
    return f" (did you mean {close}?)" if close else ""


def load_exercise(folder: Path, exercise_id: str, settings: Settings | None = None) -> Exercise:
    """Find and load the exercise with this id (of the course `settings` describe: see parse_exercise)."""
    files = exercise_files(folder)
    if exercise_id not in files:
        hint = did_you_mean(exercise_id, list(files))
        raise UsageError(f"no exercise '{exercise_id}' in {folder}{hint}; run 'grade list' to see them")
    return parse_exercise(files[exercise_id], settings)
